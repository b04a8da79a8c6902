// Renders events as emails a person wants to read, and builds the MIME message.
//
// RenderEventEmail(): for a "Glue Job State Change" the subject reads
//   [ecompipe] ecommerce_data_processing SUCCEEDED 2026-11-26: 9,812 loaded, 188 rejected
// and a FAILED run's subject and first line give the cause instead of the counts (the event's
// errorMessage, which names the object, or the quality gate broken and the top reasons):
//   [ecompipe] ecommerce_data_processing FAILED 2026-11-26: quality gate: transactions/…/t.csv:
//   1000 of 1000 rows rejected (100%), above max_reject_rate 0.5; … top reasons: …
// The body gives the run id, objects, rows read/loaded/rejected, duration, the top reject
// reasons with counts, and where to look further (CLI commands, the dashboard when configured).
// Other events get "[ecompipe] <detail-type>: <name> <state> <date>" and their detail fields.
// BuildMimeMessage(): RFC 5322 headers (Date, Message-ID, MIME-Version) and a
// multipart/alternative body (text/plain, then text/html), both quoted-printable UTF-8, CRLF
// line ends. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"

namespace ecompipe::notify {

struct EmailContent {
  std::string subject;
  std::string text;
  std::string html;
};

struct EmailOptions {
  std::string dashboard_url;  // shown as "Dashboard: …" when not empty
};

EmailContent RenderEventEmail(const Json& event, const EmailOptions& options);
// One email summarising `events` that a rate limit held back.
EmailContent RenderDigestEmail(const std::string& topic, const std::vector<Json>& events,
                               const EmailOptions& options);

struct MimeEnvelope {
  std::string from;
  std::vector<std::string> to;
  std::string message_id;  // without angle brackets: "<id>@<domain>"
  int64_t date_epoch_seconds = 0;
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

std::string BuildMimeMessage(const EmailContent& content, const MimeEnvelope& envelope);

// Building blocks, exposed for tests.
std::string FormatThousands(int64_t n);              // 9812 -> "9,812"
std::string Rfc5322Date(int64_t epoch_seconds);      // "Thu, 26 Nov 2026 15:06:52 +0000"
std::string EncodeHeaderWord(const std::string& s);  // RFC 2047 when not plain ASCII
std::string QuotedPrintable(const std::string& s);   // CRLF line ends, soft breaks at 76

}  // namespace ecompipe::notify
