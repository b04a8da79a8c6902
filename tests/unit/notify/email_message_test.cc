#include "notify/email_message.h"

#include <gtest/gtest.h>

namespace ecompipe::notify {
namespace {

Json JobEvent() {
  return Json::parse(R"({
    "version": "0", "id": "ev-1", "detail-type": "Glue Job State Change", "source": "ecompipe.glue",
    "account": "000000000000", "time": "2026-11-26T06:00:05Z", "region": "local", "resources": [],
    "detail": {"jobName": "ecommerce_data_processing", "state": "SUCCEEDED",
               "jobRunId": "jr_42", "message": "Job run succeeded",
               "startedOn": "2026-11-26T06:00:00Z", "completedOn": "2026-11-26T06:00:05Z",
               "executionTimeMs": 5300, "rowsRead": 10000, "rowsLoaded": 9812, "rowsRejected": 188,
               "rejectReasons": {"unknown_product_id": 120, "invalid_date": 50, "invalid_price": 18},
               "objects": [{"key": "transactions/year=2026/month=11/day=26/t.csv", "etag": "e",
                            "status": "loaded", "rowsRead": 10000, "rowsLoaded": 9812,
                            "rowsRejected": 188, "message": ""}]}
  })");
}

TEST(EmailMessageTest, JobSubjectSaysJobStateDateAndCounts) {
  EmailContent e = RenderEventEmail(JobEvent(), {});
  EXPECT_EQ(
      e.subject,
      "[ecompipe] ecommerce_data_processing SUCCEEDED 2026-11-26: 9,812 loaded, 188 rejected");
}

TEST(EmailMessageTest, JobBodyHasRunCountsDurationReasonsAndWhereToLook) {
  EmailContent e = RenderEventEmail(JobEvent(), {"http://dash.example/runs"});
  for (const char* want : {"jr_42", "10,000", "9,812", "188", "5.3 s", "unknown_product_id",
                           "transactions/year=2026/month=11/day=26/t.csv", "ecompipe rejects",
                           "Dashboard: http://dash.example/runs"})
    EXPECT_NE(e.text.find(want), std::string::npos) << want << "\n" << e.text;
  // Reasons are ordered by count, largest first.
  EXPECT_LT(e.text.find("unknown_product_id"), e.text.find("invalid_date"));
  EXPECT_LT(e.text.find("invalid_date"), e.text.find("invalid_price"));
  EXPECT_NE(e.html.find("<a href=\"http://dash.example/runs\">"), std::string::npos);
}

// A run that broke the quality gate: the subject and the first line give the cause (object,
// threshold, top reasons) rather than the counts.
TEST(EmailMessageTest, FailedRunSubjectAndFirstLineGiveTheCause) {
  Json ev = JobEvent();
  ev["detail"]["state"] = "FAILED";
  const std::string cause =
      "quality gate: transactions/t.csv: 1000 of 1000 rows rejected (100%), above "
      "max_reject_rate 0.5; top reasons: unknown_customer_id 1000";
  ev["detail"]["errorMessage"] = cause;
  ev["detail"]["message"] =
      "JobName:ecommerce_data_processing and JobRunId:jr_42 failed the " + cause;
  EmailContent e = RenderEventEmail(ev, {});
  EXPECT_EQ(e.subject, "[ecompipe] ecommerce_data_processing FAILED 2026-11-26: " + cause);
  EXPECT_EQ(e.text.substr(0, e.text.find('\n')),
            "ecommerce_data_processing FAILED on 2026-11-26: " + cause + ".");
  EXPECT_NE(e.html.find("unknown_customer_id 1000"), std::string::npos);
}

TEST(EmailMessageTest, FailedRunWithoutErrorMessageGivesItsMessageAndLongCausesAreCut) {
  Json ev = JobEvent();
  ev["detail"]["state"] = "FAILED";
  ev["detail"]["message"] = "interrupted: the process running it exited";
  EXPECT_EQ(RenderEventEmail(ev, {}).subject,
            "[ecompipe] ecommerce_data_processing FAILED 2026-11-26: interrupted: the process "
            "running it exited");
  ev["detail"]["errorMessage"] = std::string(2000, 'x');
  std::string subject = RenderEventEmail(ev, {}).subject;
  EXPECT_LT(subject.size(), 400u);
  EXPECT_EQ(subject.substr(subject.size() - 3), "...");
}

TEST(EmailMessageTest, HtmlEscapesEventText) {
  Json ev = JobEvent();
  ev["detail"]["message"] = "<script>alert(1)</script>";
  EmailContent e = RenderEventEmail(ev, {});
  EXPECT_EQ(e.html.find("<script>"), std::string::npos);
  EXPECT_NE(e.html.find("&lt;script&gt;"), std::string::npos);
}

TEST(EmailMessageTest, CrawlerFailureGetsAGenericSubjectAndItsFields) {
  Json ev = {
      {"id", "ev-2"},
      {"detail-type", "Glue Crawler State Change"},
      {"source", "ecompipe.glue"},
      {"time", "2026-11-26T07:00:00Z"},
      {"detail",
       {{"crawlerName", "transactions"}, {"state", "Failed"}, {"errorMessage", "corrupt gzip"}}}};
  EmailContent e = RenderEventEmail(ev, {});
  EXPECT_EQ(e.subject, "[ecompipe] Glue Crawler State Change: transactions Failed 2026-11-26");
  EXPECT_NE(e.text.find("corrupt gzip"), std::string::npos);
}

TEST(EmailMessageTest, MimeIsMultipartAlternativeWithDateAndMessageId) {
  MimeEnvelope env{"ecompipe <noreply@shop.example>",
                   {"a@x.example", "b@x.example"},
                   "abc@shop.example",
                   1795670812,
                   {}};
  std::string m = BuildMimeMessage(RenderEventEmail(JobEvent(), {}), env);
  EXPECT_NE(m.find("Date: Thu, 26 Nov 2026 "), std::string::npos) << m.substr(0, 300);
  EXPECT_NE(m.find("\r\nMessage-ID: <abc@shop.example>\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\nTo: a@x.example, b@x.example\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\nMIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: multipart/alternative; boundary="), std::string::npos);
  size_t plain = m.find("Content-Type: text/plain; charset=utf-8");
  size_t html = m.find("Content-Type: text/html; charset=utf-8");
  ASSERT_NE(plain, std::string::npos);
  ASSERT_NE(html, std::string::npos);
  EXPECT_LT(plain, html);  // the preferred alternative comes last
  // Every line ends in CRLF and none is longer than 998 characters (RFC 5322).
  size_t start = 0;
  while (start < m.size()) {
    size_t end = m.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 998u);
    EXPECT_EQ(m.substr(start, end - start).find('\n'), std::string::npos);
    start = end + 2;
  }
}

TEST(EmailMessageTest, Rfc5322DateIsEnglishAndUtc) {
  EXPECT_EQ(Rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(Rfc5322Date(1795670812), "Thu, 26 Nov 2026 05:26:52 +0000");
}

TEST(EmailMessageTest, NonAsciiSubjectIsEncodedWord) {
  EXPECT_EQ(EncodeHeaderWord("plain"), "plain");
  EXPECT_EQ(EncodeHeaderWord("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
}

TEST(EmailMessageTest, QuotedPrintableBreaksLongLinesAndEncodesEquals) {
  std::string qp = QuotedPrintable(std::string(200, 'a') + "=\n" + "trailing \n");
  EXPECT_NE(qp.find("=\r\n"), std::string::npos);
  EXPECT_NE(qp.find("=3D"), std::string::npos);
  EXPECT_NE(qp.find("trailing=20\r\n"), std::string::npos);
  size_t start = 0;
  while (start < qp.size()) {
    size_t end = qp.find("\r\n", start);
    if (end == std::string::npos) end = qp.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
}

TEST(EmailMessageTest, ThousandsSeparators) {
  EXPECT_EQ(FormatThousands(0), "0");
  EXPECT_EQ(FormatThousands(999), "999");
  EXPECT_EQ(FormatThousands(9812), "9,812");
  EXPECT_EQ(FormatThousands(-1234567), "-1,234,567");
}

TEST(EmailMessageTest, DigestListsEveryHeldEvent) {
  Json a = JobEvent(), b = JobEvent();
  b["detail"]["state"] = "FAILED";
  EmailContent e = RenderDigestEmail("pipeline-status", {a, b}, {});
  EXPECT_NE(e.subject.find("2 notifications"), std::string::npos);
  EXPECT_NE(e.text.find("SUCCEEDED"), std::string::npos);
  EXPECT_NE(e.text.find("FAILED"), std::string::npos);
}

}  // namespace
}  // namespace ecompipe::notify
