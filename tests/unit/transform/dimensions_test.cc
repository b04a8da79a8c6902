// ReadProducts / ReadCustomers, and the whole job on a generated data set whose expected
// figures come from the peers' reference implementation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "test_streams.h"
#include "transform/dimensions.h"
#include "transform/transaction_job.h"

namespace ecompipe::transform {
namespace {

using model::Customer;
using model::FactRow;
using model::FormatMoney;
using model::Money;
using model::Product;
using model::RejectRow;

using testing::CollectingSink;
using ::testing::HasSubstr;
using testing::ReadFile;
using testing::StringInputStream;

const std::string kDataDir = EP_TEST_DATA_DIR;

Result<std::vector<Customer>> Customers(const std::string& text,
                                        const catalog::TableSchema& schema = {}) {
  StringInputStream in(text);
  return ReadCustomers(in, schema, "dimensions/customers.csv");
}

Result<std::vector<Product>> Products(const std::string& text,
                                      const catalog::TableSchema& schema = {}) {
  StringInputStream in(text);
  return ReadProducts(in, schema, "dimensions/products.csv");
}

TEST(DimensionsTest, ReferenceCustomersLoadDespiteTheRowNumColumn) {
  auto customers = Customers(ReadFile(kDataDir + "/customers.csv"));
  ASSERT_TRUE(customers.ok()) << customers.status().ToString();
  ASSERT_EQ(customers->size(), 10u);
  const Customer& c = customers->front();
  EXPECT_EQ(c.customer_id, "C12345");
  EXPECT_EQ(c.first_name, "John");
  EXPECT_EQ(c.last_name, "Doe");
  EXPECT_EQ(c.email, "john.doe@example.com");
  EXPECT_EQ(c.membership_level, "Gold");
  EXPECT_EQ(customers->back().customer_id, "C12354");
}

TEST(DimensionsTest, ReferenceProductsLoad) {
  auto products = Products(ReadFile(kDataDir + "/products.csv"));
  ASSERT_TRUE(products.ok()) << products.status().ToString();
  ASSERT_EQ(products->size(), 20u);
  const Product& p = products->front();
  EXPECT_EQ(p.product_id, "P12345");
  EXPECT_EQ(p.product_name, "Widget A");
  EXPECT_EQ(p.category, "Gadgets");
  EXPECT_EQ(p.price, Money{2999});
  EXPECT_EQ(p.supplier_id, "S123");
}

TEST(DimensionsTest, QuotedProductNamesAreUnquoted) {
  auto products = Products(
      "product_id,product_name,category,price,supplier_id\n"
      "P1,\"Smart Watch, Silver\",Gadgets,10.00,S1\n"
      "P2,\"Mini \"\"Pro\"\" Mat\",Garden,5,S2\n");
  ASSERT_TRUE(products.ok()) << products.status().ToString();
  ASSERT_EQ(products->size(), 2u);
  EXPECT_EQ((*products)[0].product_name, "Smart Watch, Silver");
  EXPECT_EQ((*products)[1].product_name, "Mini \"Pro\" Mat");
  EXPECT_EQ((*products)[1].price, Money{500});
}

TEST(DimensionsTest, MissingColumnNamesObjectLineAndColumn) {
  auto customers = Customers("customer_id,first_name,last_name,membership_level\nC1,a,b,Gold\n");
  ASSERT_FALSE(customers.ok());
  EXPECT_EQ(customers.status().code(), StatusCode::kCorruptInput);
  EXPECT_THAT(customers.status().ToString(), HasSubstr("dimensions/customers.csv line 1"));
  EXPECT_THAT(customers.status().ToString(), HasSubstr("'email'"));
}

TEST(DimensionsTest, MalformedIdIsAnErrorNamingTheLine) {
  auto customers = Customers(
      "customer_id,first_name,last_name,email,membership_level\n"
      "C1,a,b,e,Gold\nc0000005,a,b,e,Gold\n");
  ASSERT_FALSE(customers.ok());
  EXPECT_THAT(customers.status().ToString(), HasSubstr("line 3"));
  EXPECT_THAT(customers.status().ToString(), HasSubstr("'c0000005'"));
}

TEST(DimensionsTest, DuplicateIdIsAnError) {
  auto products = Products(
      "product_id,product_name,category,price,supplier_id\n"
      "P1,a,c,1.00,S1\nP2,b,c,1.00,S1\nP1,c,c,1.00,S1\n");
  ASSERT_FALSE(products.ok());
  EXPECT_THAT(products.status().ToString(), HasSubstr("line 4"));
  EXPECT_THAT(products.status().ToString(), HasSubstr("first at line 2"));
}

TEST(DimensionsTest, BadPriceIsAnError) {
  auto products = Products("product_id,product_name,category,price,supplier_id\nP1,a,c,$1,S1\n");
  ASSERT_FALSE(products.ok());
  EXPECT_THAT(products.status().ToString(), HasSubstr("line 2"));
  EXPECT_THAT(products.status().ToString(), HasSubstr("price '$1'"));
}

TEST(DimensionsTest, WrongFieldCountIsAnError) {
  auto products = Products("product_id,product_name,category,price,supplier_id\nP1,a,c,1.00\n");
  ASSERT_FALSE(products.ok());
  EXPECT_THAT(products.status().ToString(), HasSubstr("4 fields, header has 5"));
}

TEST(DimensionsTest, EmptyFileHasNoRows) {
  auto products = Products("");
  ASSERT_TRUE(products.ok());
  EXPECT_TRUE(products->empty());
}

TEST(DimensionsTest, JsonLinesCustomers) {
  catalog::TableSchema schema;
  schema.format = catalog::DataFormat::kJsonLines;
  auto customers = Customers(
      R"({"customer_id":"C7","first_name":"Ann","last_name":"Lee","email":"a@x.io","membership_level":"Gold","row_num":1})"
      "\n",
      schema);
  ASSERT_TRUE(customers.ok()) << customers.status().ToString();
  ASSERT_EQ(customers->size(), 1u);
  EXPECT_EQ((*customers)[0].email, "a@x.io");
}

Dimensions ToDimensions(const std::vector<Customer>& customers,
                        const std::vector<Product>& products) {
  Dimensions dims;
  for (const Customer& c : customers) dims.customers.emplace(c.customer_id, c);
  for (const Product& p : products) dims.products.emplace(p.product_id, p);
  return dims;
}

// tests/data/transform/gen2000 is the benchmark peers' generator's output for 2000
// rows, 300 customers, 40 products, seed 42. The expected figures are those of the peers'
// checker's reference implementation:
// rows_in 2000, fact 1960, reject 40, small 689, medium 595, large 676, sum 1218627.71, and
// its per-reason counts equal manifest.json.
// What a warehouse's LoadDimensions hands over through model::DimensionBuilder: a later row of
// an id replaces the earlier one, and Finish() indexes exactly the rows kept.
TEST(DimensionsBuilderTest, LaterRowOfAnIdWinsAndTheIndexMatchesTheRows) {
  DimensionsBuilder builder;
  model::DimensionBuilder& out = builder;
  out.AddCustomer({"C1", "Ann", "Lee", "old@x", "Gold"});
  out.AddCustomer({"C2", "Bo", "Li", "bo@x", "Basic"});
  out.AddCustomer({"C1", "Ann", "Lee", "ann@x", "Gold"});
  out.AddProduct({"P7", "Desk, \"XL\"", "Office", Money{27500}, "S2"});
  const Dimensions dims = std::move(builder).Finish();
  ASSERT_EQ(dims.customers.size(), 2u);
  EXPECT_EQ(dims.customers.at("C1").email, "ann@x");
  EXPECT_EQ(dims.products.at("P7").price, Money{27500});
  ASSERT_TRUE(dims.index);
  EXPECT_EQ(dims.index->customer_count(), 2u);
  EXPECT_EQ(dims.index->email(*dims.index->FindCustomer("C1")), "ann@x");
  EXPECT_EQ(dims.index->product_name_csv(*dims.index->FindProduct("P7")), "\"Desk, \"\"XL\"\"\"");
}

// A DimensionIndex filled through model::DimensionIndexBuilder, as LoadDimensionIndex does:
// a repeated id is the warehouse's kCorruptInput at Seal().
TEST(DimensionsBuilderTest, IndexFilledThroughTheBuilderInterfaceReportsRepeatedIds) {
  DimensionIndex index;
  model::DimensionIndexBuilder& out = index;
  out.AddCustomer("C5", "a@x");
  out.AddCustomer("C5", "b@x");
  out.AddProduct("P1", "Lamp", "S1");
  const Status sealed = out.Seal();
  EXPECT_EQ(sealed.code(), StatusCode::kCorruptInput);
  EXPECT_THAT(sealed.message(), HasSubstr("duplicate customer_id 'C5'"));
}

TEST(GeneratedDataTest, MatchesThePeersReference) {
  const std::string dir = kDataDir + "/transform/gen2000";
  auto customers = Customers(ReadFile(dir + "/customers.csv"));
  auto products = Products(ReadFile(dir + "/products.csv"));
  ASSERT_TRUE(customers.ok()) << customers.status().ToString();
  ASSERT_TRUE(products.ok()) << products.status().ToString();
  EXPECT_EQ(customers->size(), 300u);
  EXPECT_EQ(products->size(), 40u);
  const Dimensions dims = ToDimensions(*customers, *products);

  StringInputStream in(ReadFile(dir + "/transactions.csv"), 4096);
  CollectingSink sink;
  auto stats = TransformObject(in, {}, dims, JobSpec{}, "transactions.csv", sink);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rows_read, 2000);
  EXPECT_EQ(stats->facts, 1960);
  EXPECT_EQ(stats->rejects, 40);

  std::map<std::string, int> classes;
  Money sum;
  for (const FactRow& f : sink.facts) {
    ++classes[f.transaction_type];
    sum.cents += f.total_amount.cents;
  }
  EXPECT_EQ(classes["Small"], 689);
  EXPECT_EQ(classes["Medium"], 595);
  EXPECT_EQ(classes["Large"], 676);
  EXPECT_EQ(FormatMoney(sum), "1218627.71");

  std::map<std::string, int> reasons;
  for (const RejectRow& r : sink.rejects) ++reasons[r.reason];
  const std::map<std::string, int> manifest = {
      {"unknown_customer_id", 6},  {"malformed_customer_id", 10}, {"unknown_product_id", 5},
      {"malformed_product_id", 3}, {"invalid_quantity", 4},       {"invalid_price", 7},
      {"invalid_date", 5}};
  EXPECT_EQ(reasons, manifest);
}

}  // namespace
}  // namespace ecompipe::transform
