// JobSpec: the reference default, CheckJobSpec's places for every kind of mistake, and the
// exact decimal expressions that derived columns use.
#include "transform/job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "transform/expression.h"

namespace ecompipe::transform {
namespace {

using model::ColumnType;
using model::Money;
using model::ParseMoney;

using ::testing::HasSubstr;

// CheckJobSpec's error as "place: message".
std::string ProblemOf(const JobSpec& spec) {
  Status s = CheckJobSpec(spec);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return std::string(s.place()) + ": " + s.message();
}

TEST(JobSpecTest, DefaultIsTheReferenceJobAndValid) {
  JobSpec spec;
  EXPECT_TRUE(spec.IsReference());
  EXPECT_TRUE(CheckJobSpec(spec).ok()) << CheckJobSpec(spec).ToString();
}

TEST(JobSpecTest, BinsAndExecutionSettingsKeepTheReference) {
  JobSpec spec;
  spec.bins = {{Money{500}, "Tiny"}, {std::nullopt, "Rest"}};
  spec.threads = 3;
  spec.chunk_bytes = 77;
  spec.max_record_bytes = 4096;
  EXPECT_TRUE(spec.IsReference());
}

TEST(JobSpecTest, AnySemanticChangeLeavesTheReference) {
  JobSpec renamed;
  renamed.lookups[0].columns[0].second = "buyer_email";
  EXPECT_FALSE(renamed.IsReference());
  JobSpec derived;
  derived.derived[0].expr = "quantity * price * 2";
  EXPECT_FALSE(derived.IsReference());
  JobSpec output;
  output.output.pop_back();
  EXPECT_FALSE(output.IsReference());
}

TEST(JobSpecTest, UnknownValidationColumn) {
  JobSpec spec;
  spec.validations[2].column = "customer";
  EXPECT_THAT(ProblemOf(spec), HasSubstr("validations[2].column: unknown column 'customer'"));
}

TEST(JobSpecTest, BadPattern) {
  JobSpec spec;
  spec.validations[1].pattern = "TXN[0-9";
  EXPECT_THAT(ProblemOf(spec),
              HasSubstr("validations[1].pattern: 'TXN[0-9' is not a valid regular"));
}

TEST(JobSpecTest, ValidationThatChecksNothing) {
  JobSpec spec;
  spec.validations.push_back({.name = "idle", .column = "status"});
  EXPECT_THAT(ProblemOf(spec), HasSubstr("validations[8]: validation 'idle' checks nothing"));
}

TEST(JobSpecTest, BadBounds) {
  JobSpec date;
  date.validations[6].min = "2024-02-30";
  EXPECT_THAT(ProblemOf(date), HasSubstr("validations[6].min: '2024-02-30' is not a date"));
  JobSpec number;
  number.validations[4].max = "ten";
  EXPECT_THAT(ProblemOf(number), HasSubstr("validations[4].max: 'ten' is not a decimal number"));
  JobSpec inverted;
  inverted.validations[4].max = "0.5";
  EXPECT_THAT(ProblemOf(inverted), HasSubstr("validations[4].max: max '0.5' is below min '1'"));
}

TEST(JobSpecTest, TwoUniqueValidations) {
  JobSpec spec;
  spec.validations.push_back({.name = "c", .column = "customer_id", .unique = true});
  EXPECT_THAT(ProblemOf(spec),
              HasSubstr("validations[8].unique: only one validation may be unique"));
}

TEST(JobSpecTest, UnknownDimensionAndDimensionColumn) {
  JobSpec dim;
  dim.lookups[1].dimension = "suppliers";
  EXPECT_THAT(ProblemOf(dim), HasSubstr("lookups[1].dimension: unknown dimension 'suppliers'"));
  JobSpec col;
  col.lookups[0].columns.push_back({"phone", "phone"});
  EXPECT_THAT(ProblemOf(col),
              HasSubstr("lookups[0].columns.phone: dimension 'customers' has no column 'phone'"));
  JobSpec key;
  key.lookups[0].key = "customer";
  EXPECT_THAT(ProblemOf(key), HasSubstr("lookups[0].key: unknown column 'customer'"));
}

TEST(JobSpecTest, LookupColumnClashesWithAnInputColumn) {
  JobSpec spec;
  spec.lookups[1].columns.push_back({"price", "price"});
  EXPECT_THAT(ProblemOf(spec),
              HasSubstr("lookups[1].columns.price: column 'price' already exists in the row"));
}

TEST(JobSpecTest, BadExpressions) {
  JobSpec syntax;
  syntax.derived[0].expr = "quantity * (price";
  EXPECT_THAT(ProblemOf(syntax), HasSubstr("derived[0].expr: 'quantity * (price': missing ')'"));
  JobSpec unknown;
  unknown.derived[0].expr = "quantity * discount";
  EXPECT_THAT(ProblemOf(unknown), HasSubstr("reads unknown column 'discount'"));
  JobSpec division;
  division.derived[0].expr = "price / 2";
  EXPECT_THAT(ProblemOf(division), HasSubstr("division is not supported"));
  JobSpec later;  // a derived column may not read one defined after it
  later.derived.insert(later.derived.begin(), Derived{.name = "twice", .expr = "total_amount * 2"});
  EXPECT_THAT(ProblemOf(later),
              HasSubstr("derived[0].expr: 'total_amount * 2' reads unknown column"));
}

TEST(JobSpecTest, BinsMustIncreaseAndEndOpen) {
  JobSpec spec;
  spec.bins = {{Money{500}, "A"}, {Money{500}, "B"}, {std::nullopt, "C"}};
  EXPECT_THAT(ProblemOf(spec), HasSubstr("classification.bins[1].max: bounds must increase"));
  JobSpec closed;
  closed.bins = {{Money{500}, "A"}};
  EXPECT_THAT(ProblemOf(closed), HasSubstr("the last bin must have no 'max'"));
}

TEST(JobSpecTest, OutputProblems) {
  JobSpec unknown;
  unknown.output.push_back({"discount", "discount", ColumnType::kText, 0});
  EXPECT_THAT(ProblemOf(unknown), HasSubstr("output[13]: unknown column 'discount'"));
  JobSpec twice;
  twice.output.push_back(twice.output[0]);
  EXPECT_THAT(ProblemOf(twice),
              HasSubstr("output[13]: output column 'transaction_id' is listed twice"));
  JobSpec keyless;
  keyless.output.erase(keyless.output.begin());
  EXPECT_THAT(ProblemOf(keyless), HasSubstr("output: the output must include 'transaction_id'"));
  JobSpec bad_name;
  bad_name.output[2].name = "customer email";
  EXPECT_THAT(ProblemOf(bad_name), HasSubstr("output[2]: 'customer email' is not a column name"));
  JobSpec lineage;
  lineage.output[2].name = "load_id";
  EXPECT_THAT(ProblemOf(lineage), HasSubstr("'load_id' is a lineage column"));
  lineage.output[2].name = "load_ref";  // SQLite's stored reference to the load's lineage
  EXPECT_THAT(ProblemOf(lineage), HasSubstr("'load_ref' is a lineage column"));
  lineage.output[2].name = "source_line";  // PostgreSQL's per-fact line
  EXPECT_THAT(ProblemOf(lineage), HasSubstr("'source_line' is a lineage column"));
}

TEST(ExpressionTest, ExactDecimalArithmetic) {
  Result<Expression> e = Expression::Parse("quantity * price * (1 - discount)");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->columns(), (std::vector<std::string>{"quantity", "price", "discount"}));
  const Decimal operands[] = {*ParseDecimal("3"), *ParseDecimal("19.99"), *ParseDecimal("0.15")};
  std::optional<Decimal> v = e->Evaluate(operands);
  ASSERT_TRUE(v);
  // 3 * 19.99 * 0.85 = 50.9745 exactly; at 2 decimals, half away from zero: 50.97.
  EXPECT_EQ(*Rescale(*v, 4), 509745);
  EXPECT_EQ(*Rescale(*v, 2), 5097);
}

TEST(ExpressionTest, RoundingIsHalfAwayFromZero) {
  EXPECT_EQ(*Rescale(*ParseDecimal("0.125"), 2), 13);
  EXPECT_EQ(*Rescale(*ParseDecimal("-0.125"), 2), -13);
  EXPECT_EQ(*Rescale(*ParseDecimal("0.124"), 2), 12);
  EXPECT_EQ(*Rescale(*ParseDecimal("7"), 3), 7000);
}

TEST(ExpressionTest, PrecedenceUnaryMinusAndConstants) {
  Result<Expression> e = Expression::Parse("-a + 2 * (a - 0.5) * 3");
  ASSERT_TRUE(e.ok());
  const Decimal a[] = {*ParseDecimal("10")};
  EXPECT_EQ(*Rescale(*e->Evaluate(a), 1), 470);  // -10 + 2 * 9.5 * 3 = 47
}

TEST(ExpressionTest, OverflowIsReportedNotWrapped) {
  Result<Expression> e = Expression::Parse("a * a * a");
  ASSERT_TRUE(e.ok());
  const Decimal big[] = {*ParseDecimal("99999999999999999999")};
  EXPECT_FALSE(e->Evaluate(big));
  const Decimal fits[] = {*ParseDecimal("999999")};
  ASSERT_TRUE(e->Evaluate(fits));
  EXPECT_FALSE(Rescale(*e->Evaluate(fits), 2));  // 10^18 * 100 does not fit int64
}

TEST(ExpressionTest, SyntaxErrorsSayWhere) {
  EXPECT_THAT(Expression::Parse("a + * b").status().message(),
              HasSubstr("unexpected '*' at character 5"));
  EXPECT_THAT(Expression::Parse("a b").status().message(),
              HasSubstr("unexpected 'b' at character 3"));
  EXPECT_THAT(Expression::Parse("1.2.3").status().message(),
              HasSubstr("'1.2.3' at character 1 is not a decimal"));
  EXPECT_THAT(Expression::Parse("").status().message(), HasSubstr("unexpected end"));
  EXPECT_THAT(Expression::Parse("a / b").status().message(),
              HasSubstr("'/' at character 3: division"));
}

TEST(DecimalTest, ParseAndFormat) {
  EXPECT_FALSE(ParseDecimal("+1"));
  EXPECT_FALSE(ParseDecimal("1e2"));
  EXPECT_FALSE(ParseDecimal(".5"));
  EXPECT_FALSE(ParseDecimal("5."));
  EXPECT_FALSE(ParseDecimal(""));
  EXPECT_EQ(ParseDecimal("-0.50")->units, -50);
  EXPECT_EQ(ParseDecimal("-0.50")->scale, 2);
  std::string out;
  AppendScaled(out, -5, 2);
  out += " ";
  AppendScaled(out, 123456, 3);
  out += " ";
  AppendScaled(out, 7, 0);
  EXPECT_EQ(out, "-0.05 123.456 7");
  EXPECT_EQ(CompareDecimal(*ParseDecimal("1.10"), *ParseDecimal("1.1")), 0);
  EXPECT_EQ(CompareDecimal(*ParseDecimal("-2"), *ParseDecimal("1.999")), -1);
}

TEST(ClassifyTest, BoundsAreInclusive) {
  const JobSpec spec;
  EXPECT_EQ(Classify(spec, *ParseMoney("0.00")), "Small");
  EXPECT_EQ(Classify(spec, *ParseMoney("100.00")), "Small");
  EXPECT_EQ(Classify(spec, *ParseMoney("100.01")), "Medium");
  EXPECT_EQ(Classify(spec, *ParseMoney("500.00")), "Medium");
  EXPECT_EQ(Classify(spec, *ParseMoney("500.01")), "Large");
  EXPECT_EQ(Classify(spec, *ParseMoney("999999999999.99")), "Large");
}

TEST(ClassifyTest, FirstMatchingBinWinsInConfiguredOrder) {
  JobSpec spec;
  spec.bins = {{Money{1000}, "low"}, {Money{500}, "never"}, {std::nullopt, "high"}};
  EXPECT_EQ(Classify(spec, Money{400}), "low");
  EXPECT_EQ(Classify(spec, Money{1001}), "high");
}

TEST(ClassifyTest, NoMatchingBinGivesAnEmptyLabel) {
  JobSpec spec;
  spec.bins = {{Money{100}, "low"}};
  EXPECT_EQ(Classify(spec, Money{101}), "");
}

}  // namespace
}  // namespace ecompipe::transform
