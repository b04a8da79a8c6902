// jobs[].columns, validations, lookups, derived, classification and output in ecompipe.yaml:
// a configured job parses into the JobSpec it spells, the init template spells the
// reference job, and each kind of mistake is an error naming the line and what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "runtime/config.h"
#include "transform/job_spec.h"

namespace ecompipe::runtime {
namespace {

using model::ColumnType;
using ::testing::HasSubstr;

PipelineConfig ParseOrDie(const std::string& text) {
  Result<PipelineConfig> cfg = ParseConfig(text, "/srv/shop/ecompipe.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return cfg.ok() ? std::move(cfg).value() : PipelineConfig{};
}

std::string ErrorOf(const std::string& text) {
  Result<PipelineConfig> cfg = ParseConfig(text, "/srv/shop/ecompipe.yaml");
  EXPECT_FALSE(cfg.ok()) << "parsed:\n" << text;
  if (cfg.ok()) return "";
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument) << cfg.status().ToString();
  return cfg.status().ToString();
}

// A custom job: a rename, a date-range validation, a derived column, bins over it, output.
const std::string kCustomJob = R"yaml(jobs:
  - name: custom
    validations:
      - {column: transaction_id, required: true, reason: missing_transaction_id}
      - {name: known_payment, column: payment_type, pattern: "Credit Card|Debit Card"}
      - {column: quantity, pattern: "[0-9]+", min: 1, max: 8}
      - {column: price, pattern: "[0-9]+(\\.[0-9]{1,2})?"}
      - {name: in_2023, column: transaction_date, date: true, min: "2023-01-01", max: "2023-12-31"}
      - {column: transaction_id, unique: true, reason: duplicate_transaction_id}
    lookups:
      - dimension: customers
        key: customer_id
        columns: [{email: buyer_email}, membership_level]
      - {dimension: products, key: product_id, columns: {product_name: product_name, price: list_price}}
    derived:
      - {name: net_amount, expr: "quantity * price * (1 - 0.08)", scale: 2}
      - {name: saving, expr: "quantity * (list_price - price)", scale: 2, reason: bad_saving}
    classification:
      column: net_amount
      output: size_class
      bins:
        - {max: "50.00", label: S}
        - {label: L}
    output:
      - transaction_id
      - buyer_email
      - membership_level
      - {name: quantity, type: integer}
      - {name: unit_price, from: price, type: decimal, scale: 3}
      - net_amount
      - saving
      - size_class
)yaml";

TEST(JobConfigTest, CustomJobParsesIntoItsSpec) {
  PipelineConfig cfg = ParseOrDie(kCustomJob);
  ASSERT_EQ(cfg.jobs.size(), 1u);
  const transform::JobSpec& spec = cfg.jobs[0].spec;
  EXPECT_FALSE(spec.IsReference());
  EXPECT_EQ(spec.columns, transform::ReferenceColumns());  // not given: the reference's
  ASSERT_EQ(spec.validations.size(), 6u);
  EXPECT_EQ(spec.validations[1].Reason(), "validation_failed:known_payment");
  EXPECT_EQ(spec.validations[1].pattern, "Credit Card|Debit Card");
  EXPECT_EQ(spec.validations[2].name, "quantity");
  EXPECT_EQ(spec.validations[2].min, "1");
  EXPECT_EQ(spec.validations[2].max, "8");
  EXPECT_EQ(spec.validations[3].pattern, "[0-9]+(\\.[0-9]{1,2})?");
  EXPECT_TRUE(spec.validations[4].date);
  EXPECT_EQ(spec.validations[4].max, "2023-12-31");
  EXPECT_TRUE(spec.validations[5].unique);
  ASSERT_EQ(spec.lookups.size(), 2u);
  EXPECT_EQ(spec.lookups[0].columns,
            (std::vector<std::pair<std::string, std::string>>{
                {"email", "buyer_email"}, {"membership_level", "membership_level"}}));
  EXPECT_EQ(spec.lookups[0].Reason(), "unknown_customer_id");
  EXPECT_EQ(spec.lookups[1].columns[1],
            (std::pair<std::string, std::string>{"price", "list_price"}));
  ASSERT_EQ(spec.derived.size(), 2u);
  EXPECT_EQ(spec.derived[1].Reason(), "bad_saving");
  EXPECT_EQ(spec.derived[0].Reason(), "derived_failed:net_amount");
  EXPECT_EQ(spec.classify_column, "net_amount");
  EXPECT_EQ(spec.label_column, "size_class");
  ASSERT_EQ(spec.bins.size(), 2u);
  EXPECT_EQ(spec.bins[0].upper, model::Money{5000});
  ASSERT_EQ(spec.output.size(), 8u);
  EXPECT_EQ(spec.output[3], (model::OutputColumn{"quantity", "quantity", ColumnType::kInteger, 0}));
  EXPECT_EQ(spec.output[4], (model::OutputColumn{"unit_price", "price", ColumnType::kDecimal, 3}));
  EXPECT_EQ(spec.output[5],
            (model::OutputColumn{"net_amount", "net_amount", ColumnType::kDecimal, 2}));
  EXPECT_EQ(spec.output[7],
            (model::OutputColumn{"size_class", "size_class", ColumnType::kText, 0}));
}

TEST(JobConfigTest, InitTemplateSpellsTheReferenceJob) {
  PipelineConfig cfg = ParseOrDie(DefaultConfigText());
  ASSERT_EQ(cfg.jobs.size(), 1u);
  const transform::JobSpec& spec = cfg.jobs[0].spec;
  EXPECT_TRUE(spec.IsReference());
  EXPECT_EQ(spec.validations, transform::ReferenceValidations());
  EXPECT_EQ(spec.lookups, transform::ReferenceLookups());
  EXPECT_EQ(spec.derived, transform::ReferenceDerived());
  EXPECT_EQ(spec.output, model::ReferenceOutput());
  EXPECT_EQ(spec.bins, transform::JobSpec{}.bins);
}

TEST(JobConfigTest, AJobWithoutSpecKeysIsTheReference) {
  PipelineConfig cfg = ParseOrDie("jobs: [{name: j}]\n");
  EXPECT_TRUE(cfg.jobs[0].spec.IsReference());
}

TEST(JobConfigTest, UnknownKeyInAValidation) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    validations:\n      - {column: price, patern: x}\n"),
            "ecompipe.yaml:4: unknown key 'jobs[0].validations[0].patern' (did you mean "
            "'pattern'?)");
}

TEST(JobConfigTest, UnknownColumnInAValidation) {
  EXPECT_EQ(
      ErrorOf(
          "jobs:\n  - name: j\n    validations:\n      - {column: transaction_id, required: true}\n"
          "      - {column: prise, pattern: x}\n"),
      "ecompipe.yaml:5: 'jobs[0].validations[1].column': unknown column 'prise' (validations "
      "check input columns: transaction_id, customer_id, product_id, quantity, price, "
      "transaction_date, payment_type, status)");
}

TEST(JobConfigTest, BadRegex) {
  EXPECT_THAT(ErrorOf("jobs:\n  - name: j\n    validations:\n      - column: status\n"
                      "        pattern: \"(open\"\n"),
              HasSubstr("ecompipe.yaml:5: 'jobs[0].validations[0].pattern': '(open' is not a valid "
                        "regular expression"));
}

TEST(JobConfigTest, NotABoolean) {
  EXPECT_EQ(
      ErrorOf("jobs:\n  - name: j\n    validations:\n      - {column: status, required: maybe}\n"),
      "ecompipe.yaml:4: 'jobs[0].validations[0].required' must be true or false");
}

TEST(JobConfigTest, BadDateBound) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    validations:\n"
                    "      - {column: transaction_date, date: true,\n"
                    "         min: 2024-13-01}\n"),
            "ecompipe.yaml:5: 'jobs[0].validations[0].min': '2024-13-01' is not a date YYYY-MM-DD");
}

TEST(JobConfigTest, UnknownDimension) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    lookups:\n      - dimension: suppliers\n"
                    "        key: product_id\n        columns: [name]\n"),
            "ecompipe.yaml:4: 'jobs[0].lookups[0].dimension': unknown dimension 'suppliers' "
            "(allowed: customers, products)");
}

TEST(JobConfigTest, UnknownDimensionColumnPointsAtIt) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    lookups:\n      - dimension: customers\n"
                    "        key: customer_id\n        columns:\n          - email\n"
                    "          - phone\n"),
            "ecompipe.yaml:8: 'jobs[0].lookups[0].columns.phone': dimension 'customers' has no "
            "column 'phone' (columns: customer_id, first_name, last_name, email, "
            "membership_level)");
}

TEST(JobConfigTest, RenameOntoAnExistingColumn) {
  EXPECT_THAT(ErrorOf("jobs:\n  - name: j\n    lookups:\n      - dimension: products\n"
                      "        key: product_id\n        columns: {price: price}\n"),
              HasSubstr("ecompipe.yaml:6: 'jobs[0].lookups[0].columns.price': column 'price' "
                        "already exists in the row"));
}

TEST(JobConfigTest, BadExpression) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    derived:\n      - name: total_amount\n"
                    "        expr: quantity * * price\n"),
            "ecompipe.yaml:5: 'jobs[0].derived[0].expr': 'quantity * * price': unexpected '*' "
            "at character 12");
  EXPECT_THAT(ErrorOf("jobs:\n  - name: j\n    derived:\n      - {name: total_amount, expr: "
                      "quantity * price * (1 - discount)}\n"),
              HasSubstr("ecompipe.yaml:4: 'jobs[0].derived[0].expr': 'quantity * price * (1 - "
                        "discount)' reads unknown column 'discount'"));
  EXPECT_THAT(ErrorOf("jobs:\n  - name: j\n    derived:\n      - {name: half, expr: price / 2}\n"),
              HasSubstr("ecompipe.yaml:4: 'jobs[0].derived[0].expr': 'price / 2': '/' at character "
                        "7: division is not supported"));
}

TEST(JobConfigTest, ScaleOutOfRange) {
  EXPECT_EQ(
      ErrorOf("jobs:\n  - name: j\n    derived:\n      - {name: t, expr: price, scale: 40}\n"),
      "ecompipe.yaml:4: 'jobs[0].derived[0].scale' must be between 0 and 18");
}

TEST(JobConfigTest, BinsNotIncreasing) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification:\n      column: total_amount\n"
                    "      bins:\n        - {max: \"500.00\", label: A}\n"
                    "        - {max: \"100.00\", label: B}\n        - {label: C}\n"),
            "ecompipe.yaml:7: 'jobs[0].classification.bins[1].max': bounds must increase");
}

TEST(JobConfigTest, ClassifyingAnUnknownColumn) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification:\n      column: totl\n"
                    "      bins: [{label: All}]\n"),
            "ecompipe.yaml:4: 'jobs[0].classification.column': unknown column 'totl'");
}

TEST(JobConfigTest, OutputProblems) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    output:\n      - transaction_id\n      - discount\n"),
            "ecompipe.yaml:5: 'jobs[0].output[1]': unknown column 'discount' (the row has: "
            "customer_email, customer_id, payment_type, price, product_id, product_name, "
            "quantity, status, supplier_id, total_amount, transaction_date, transaction_id, "
            "transaction_type)");
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    output:\n      - customer_id\n"),
            "ecompipe.yaml:4: 'jobs[0].output': the output must include 'transaction_id' (the "
            "fact table's key)");
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    output:\n      - transaction_id\n"
                    "      - {name: qty, from: quantity, type: number}\n"),
            "ecompipe.yaml:5: 'jobs[0].output[1].type': unknown type 'number' (allowed: text, "
            "integer, decimal)");
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    output:\n      - transaction_id\n"
                    "      - {name: qty, from: quantity, scale: 2}\n"),
            "ecompipe.yaml:5: 'jobs[0].output[1].scale' applies to decimal columns only");
}

// A mistake in a part the user did not give (the reference's, which a new 'columns' list
// breaks) says so, at the job's line.
TEST(JobConfigTest, ReferencePartBrokenByNewColumns) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    columns: [transaction_id, amount]\n"),
            "ecompipe.yaml:2: 'jobs[0].validations[2].column': unknown column 'customer_id' "
            "(validations check input columns: transaction_id, amount) (in the reference job's "
            "'validations'; give 'jobs[0].validations' to replace it)");
}

TEST(JobConfigTest, ColumnsListed) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    columns: [transaction_id, {a: b}]\n"),
            "ecompipe.yaml:3: each item of 'jobs[0].columns' must be a column name");
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    columns: [transaction_id, transaction_id]\n"),
            "ecompipe.yaml:3: 'jobs[0].columns[1]': column 'transaction_id' is listed twice");
}

}  // namespace
}  // namespace ecompipe::runtime
