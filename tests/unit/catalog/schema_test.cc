#include "catalog/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/schema_json.h"

namespace ecompipe::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<Column> Reference() {
  return {{"transaction_id", ColumnType::kString},
          {"quantity", ColumnType::kInteger},
          {"price", ColumnType::kDecimal}};
}

TEST(SchemaTest, NamesFormatsAndTypes) {
  EXPECT_EQ(DataFormatName(DataFormat::kCsv), "csv");
  EXPECT_EQ(DataFormatName(DataFormat::kJsonLines), "jsonl");
  EXPECT_EQ(ColumnTypeName(ColumnType::kInteger), "bigint");
  EXPECT_EQ(ColumnTypeName(ColumnType::kTimestamp), "timestamp");
  EXPECT_EQ(ParseColumnType("decimal"), ColumnType::kDecimal);
  EXPECT_EQ(ParseDataFormat("jsonl"), DataFormat::kJsonLines);
  EXPECT_EQ(ParseColumnType("int"), std::nullopt);
}

TEST(SchemaTest, DiffOfEqualColumnsIsEmpty) {
  SchemaChange change = DiffSchemas(Reference(), Reference());
  EXPECT_TRUE(change.empty());
  EXPECT_EQ(change.ToString(), "");
}

TEST(SchemaTest, DiffReportsAddedColumns) {
  auto after = Reference();
  after.push_back({"discount", ColumnType::kDecimal});
  SchemaChange change = DiffSchemas(Reference(), after);
  EXPECT_THAT(change.added, ElementsAre("discount"));
  EXPECT_THAT(change.removed, IsEmpty());
  EXPECT_THAT(change.retyped, IsEmpty());
}

TEST(SchemaTest, DiffReportsRemovedColumns) {
  auto after = Reference();
  after.erase(after.begin());
  SchemaChange change = DiffSchemas(Reference(), after);
  EXPECT_THAT(change.removed, ElementsAre("transaction_id"));
  EXPECT_THAT(change.added, IsEmpty());
}

TEST(SchemaTest, DiffReportsRetypedColumns) {
  auto after = Reference();
  after[1].type = ColumnType::kString;
  SchemaChange change = DiffSchemas(Reference(), after);
  EXPECT_THAT(change.retyped, ElementsAre("quantity: bigint -> string"));
}

TEST(SchemaTest, DiffIgnoresColumnOrder) {
  auto after = Reference();
  std::swap(after[0], after[2]);
  EXPECT_TRUE(DiffSchemas(Reference(), after).empty());
}

TEST(SchemaTest, ChangeToStringListsEachPart) {
  SchemaChange change;
  change.added = {"a", "b"};
  change.removed = {"c"};
  change.retyped = {"quantity: bigint -> string"};
  EXPECT_EQ(change.ToString(), "added: a, b; removed: c; retyped: quantity: bigint -> string");
  change.added.clear();
  EXPECT_EQ(change.ToString(), "removed: c; retyped: quantity: bigint -> string");
}

TEST(SchemaJsonTest, SchemaRoundTrips) {
  TableSchema schema;
  schema.format = DataFormat::kCsv;
  schema.compression = storage::Compression::kGzip;
  schema.delimiter = '\t';
  schema.has_header = false;
  schema.columns = Reference();
  Json json = SchemaToJson(schema);
  EXPECT_EQ(json["compression"], "gzip");
  EXPECT_EQ(json["columns"][1]["type"], "bigint");
  auto back = SchemaFromJson(Json::parse(json.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, schema);
}

TEST(SchemaJsonTest, RejectsUnknownColumnType) {
  Json json = SchemaToJson(TableSchema{});
  json["columns"] = Json::array({{{"name", "q"}, {"type", "int"}}});
  auto back = SchemaFromJson(json);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("columns[0]"));
  EXPECT_THAT(back.status().message(), HasSubstr("unknown type 'int'"));
}

TEST(SchemaJsonTest, RejectsMissingColumns) {
  auto back = SchemaFromJson(Json{{"format", "csv"}});
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(), HasSubstr("columns"));
}

TEST(SchemaJsonTest, PartitionKeepsOrder) {
  PartitionValues partition = {{"year", "2026"}, {"month", "11"}, {"day", "3"}};
  auto back = PartitionFromJson(Json::parse(PartitionToJson(partition).dump()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, partition);
  EXPECT_EQ(PartitionPath(partition), "year=2026/month=11/day=3");
}

}  // namespace
}  // namespace ecompipe::catalog
