#include "warehouse/postgres/copy_binary.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "testing/pg_test.h"
#include "testing/sample_fact.h"
#include "warehouse/postgres/postgres_warehouse.h"

namespace ecompipe::warehouse {
namespace {

using model::Money;

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// The value part of a binary field (without its 4-byte length), as hex.
std::string ValueHex(const std::string& field) {
  EXPECT_GE(field.size(), 4u);
  return Hex(std::string_view(field).substr(4));
}

std::string MoneyField(int64_t cents) {
  std::string out;
  AppendBinaryMoney(out, Money{cents});
  return out;
}

TEST(CopyBinaryTest, MoneyIsBase10000DigitsWithWeightSignAndScale2) {
  // ndigits, weight, sign, dscale, digits: each 16 bits.
  EXPECT_EQ(ValueHex(MoneyField(0)),
            "0000"
            "0000"
            "0000"
            "0002");
  EXPECT_EQ(ValueHex(MoneyField(1)),
            "0001"
            "ffff"
            "0000"
            "0002"
            "0064");  // 0.01 = 0100 x 10000^-1
  EXPECT_EQ(ValueHex(MoneyField(10000)),
            "0001"
            "0000"
            "0000"
            "0002"
            "0064");  // 100.00
  EXPECT_EQ(ValueHex(MoneyField(1000000)),
            "0001"
            "0001"
            "0000"
            "0002"
            "0001");  // 10000.00
  EXPECT_EQ(ValueHex(MoneyField(12999)),
            "0002"
            "0000"
            "0000"
            "0002"
            "0081"
            "26ac");                              // 129.99
  EXPECT_EQ(ValueHex(MoneyField(9'999'999'999)),  // 99999999.99
            "0003"
            "0001"
            "0000"
            "0002"
            "270f"
            "270f"
            "26ac");
  EXPECT_EQ(ValueHex(MoneyField(-5)),
            "0001"
            "ffff"
            "4000"
            "0002"
            "01f4");  // -0.05
  // The length prefix counts the header and the digits.
  EXPECT_EQ(Hex(MoneyField(12999).substr(0, 4)), "0000000c");
}

TEST(CopyBinaryTest, FieldsAndFraming) {
  std::string out;
  AppendBinaryRowStart(out, 17);
  AppendBinaryText(out, "ab");
  AppendBinaryNull(out);
  AppendBinaryInt4(out, -2);
  AppendBinaryInt8(out, 0x0102030405060708);
  EXPECT_EQ(Hex(out),
            "0011"
            "00000002"
            "6162"
            "ffffffff"
            "00000004"
            "fffffffe"
            "00000008"
            "0102030405060708");
  EXPECT_EQ(Hex(kCopyBinaryHeader),
            "5047434f50590aff0d0a00"
            "00000000"
            "00000000");
  EXPECT_EQ(Hex(kCopyBinaryTrailer), "ffff");
}

TEST(CopyBinaryTest, DatesAreDaysFrom2000AndOnlyRealDays) {
  EXPECT_EQ(PgDateDays("2000-01-01"), 0);
  EXPECT_EQ(PgDateDays("1999-12-31"), -1);
  EXPECT_EQ(PgDateDays("2000-03-01"), 60);  // 2000 is a leap year
  EXPECT_EQ(PgDateDays("0001-01-01"), -730119);
  EXPECT_EQ(PgDateDays("9999-12-31"), 2921939);
  for (const char* bad : {"", "2026-02-29", "2026-13-01", "2026-00-10", "2026-01-32", "0000-01-01",
                          "2026-1-01", "2026/01/01", "2026-01-0a", "+026-01-01", "2026-01-011"}) {
    EXPECT_EQ(PgDateDays(bad), std::nullopt) << bad;
  }
}

// The encodings are byte for byte what the server's own numeric_send and date_send produce
// for the same value typed as the fact table types it.
TEST(CopyBinaryServerTest, MoneyAndDatesMatchTheServersOwnBinaryEncoding) {
  EP_REQUIRE_TEST_PG();
  auto db = PostgresDb::Connect(testing_util::PgTestUrl());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int64_t cents : {int64_t{0}, int64_t{1}, int64_t{10}, int64_t{99}, int64_t{100},
                        int64_t{10000}, int64_t{12999}, int64_t{100'00}, int64_t{1'000'000},
                        int64_t{100'000'000}, int64_t{9'999'999'999}, int64_t{999'999'999'999},
                        int64_t{123'456'789'012}, int64_t{-1}, int64_t{-12999}}) {
    const std::string text = model::FormatMoney(Money{cents});
    for (const char* type : {"DECIMAL(10,2)", "DECIMAL(12,2)"}) {
      if (std::string(type) == "DECIMAL(10,2)" && (cents > 9'999'999'999 || cents < -9'999'999'999))
        continue;
      auto r = (*db)->Query(
          std::string("SELECT encode(numeric_send(CAST($1 AS ") + type + ")), 'hex')", {text});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(ValueHex(MoneyField(cents)), r->Text(0, 0)) << text << " as " << type;
    }
  }
  for (const char* day :
       {"2000-01-01", "1999-12-31", "2026-11-30", "2024-02-29", "0001-01-01", "9999-12-31"}) {
    auto r = (*db)->Query("SELECT encode(date_send(CAST($1 AS DATE)), 'hex')", {std::string(day)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::string field;
    AppendBinaryInt4(field, *PgDateDays(day));
    EXPECT_EQ(ValueHex(field), r->Text(0, 0)) << day;
  }
}

// Facts with edge values, loaded once in binary and once in text format (the reference) into
// two schemas of the same server, read back identical: every column as the server renders it,
// the exact sums, the duplicate rejects of a second load (the staging-table path), the ledger.
TEST(CopyBinaryServerTest, BinaryLoadsReadBackExactlyAsTextLoads) {
  EP_REQUIRE_TEST_PG();
  auto fact = [](std::string id, int64_t cents, int32_t quantity, std::string date, int64_t line) {
    model::FactRow f = testing_util::SampleFact(std::move(id), quantity, Money{cents}, line);
    f.product_name = "Lamp \xC3\xA9\ttab \\ backslash\nnewline\r, \"quoted\" \\N";
    f.supplier_id = "";
    f.transaction_date = std::move(date);
    return f;
  };
  const std::vector<model::FactRow> first = {
      fact("TXN00000001", 0, 1, "2026-11-30", 2),               // 0.00
      fact("TXN00000002", 1, 1, "2000-01-01", 3),               // 0.01
      fact("TXN00000003", 9'999'999'999, 1, "1999-12-31", 4),   // 99999999.99
      fact("TXN00000004", 10000, 3, "2024-02-29", 5),           // 100.00, total 300.00
      fact("TXN00000005", 9'999'999'999, 99, "0001-01-01", 6),  // total 9899999999.01
      fact("TXN00000006", 100'000'000, 99, "9999-12-31", 7),    // 1000000.00, total 99000000.00
      fact("TXN00000007", 12999, 999'999'999, "2026-01-01",
           0),                                             // total above DECIMAL(12,2): a reject
      fact("TXN00000008", 5, 1'000'000, "2026-06-15", 0),  // line 0: NULL source_line
  };
  const std::vector<model::FactRow> second = {fact("TXN00000002", 7, 2, "2026-11-30", 2),
                                              fact("TXN00000009", 1010, 7, "2026-11-30", 3)};
  std::vector<std::vector<std::string>> dumps;
  std::vector<std::unique_ptr<testing_util::PgTestSchema>> schemas;
  for (bool binary : {true, false}) {
    schemas.push_back(std::make_unique<testing_util::PgTestSchema>());
    PostgresWarehouseOptions o;
    o.url = testing_util::PgTestUrl();
    o.schema = schemas.back()->name();
    o.binary_copy = binary;
    auto wh = PostgresWarehouse::Open(o);
    ASSERT_TRUE(wh.ok()) << wh.status().ToString();
    ASSERT_TRUE((*wh)->EnsureSchema().ok());
    int n = 0;
    for (const auto* rows : {&first, &second}) {
      storage::ObjectRef object{"bucket", "t/" + std::to_string(++n) + ".csv",
                                "e" + std::to_string(n), 0, 0};
      auto load = (*wh)->BeginLoad(object, "load-" + std::to_string(n), "run", ReloadMode::kAppend);
      ASSERT_TRUE(load.ok()) << load.status().ToString();
      std::vector<model::FactRow> facts = *rows;
      ASSERT_TRUE((*load)->AddFacts(facts).ok());
      auto counts = (*load)->Commit(static_cast<int64_t>(rows->size()));
      ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    }
    std::vector<std::string> dump;
    for (const std::string& sql :
         {std::string("SELECT CAST(f AS TEXT) FROM fact_transactions f ORDER BY transaction_id"),
          std::string("SELECT SUM(price) || ' ' || SUM(total_amount) || ' ' || SUM(quantity) FROM "
                      "fact_transactions"),
          std::string("SELECT line || ' ' || reason || ' ' || transaction_id || ' ' || detail FROM "
                      "rejects ORDER BY id"),
          std::string("SELECT key || ' ' || rows_read || ' ' || rows_loaded || ' ' || "
                      "rows_rejected FROM load_ledger "
                      "ORDER BY key")}) {
      auto r = (*wh)->Query(sql);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const auto& row : r->rows) dump.push_back(row[0].value_or("NULL"));
    }
    dumps.push_back(std::move(dump));
  }
  EXPECT_EQ(dumps[0], dumps[1]);
  ASSERT_EQ(dumps[0].size(), 8u + 1u + 2u + 2u);
  EXPECT_EQ(dumps[0][0].substr(0, 12), "(TXN00000001");
  EXPECT_NE(dumps[0][0].find(",0.00,2026-11-30,"), std::string::npos) << dumps[0][0];
  EXPECT_NE(dumps[0][2].find(",99999999.99,1999-12-31,"), std::string::npos) << dumps[0][2];
  EXPECT_NE(dumps[0][4].find(",9899999999.01,"), std::string::npos) << dumps[0][4];
  EXPECT_NE(dumps[0][4].find(",0001-01-01,"), std::string::npos) << dumps[0][4];
  EXPECT_EQ(dumps[0][8], "201000110.14 10099050369.71 1000211");
}

}  // namespace
}  // namespace ecompipe::warehouse
