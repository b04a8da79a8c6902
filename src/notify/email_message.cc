#include "notify/email_message.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "common/base64.h"
#include "common/xml.h"
#include "events/event.h"

namespace ecompipe::notify {
namespace {

std::string Str(const Json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int64_t Int(const Json& o, const char* key) {
  if (!o.is_object()) return 0;
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string Duration(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  int64_t s = ms / 1000;
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  }
  return buf;
}

// A section of the body as (label, value) rows, rendered both as text and as an HTML table.
struct Rows {
  std::vector<std::pair<std::string, std::string>> rows;
  void Add(const std::string& k, const std::string& v) {
    if (!v.empty()) rows.emplace_back(k, v);
  }
  std::string Text() const {
    size_t w = 0;
    for (const auto& r : rows) w = std::max(w, r.first.size());
    std::string out;
    for (const auto& [k, v] : rows) out += k + ":" + std::string(w - k.size() + 1, ' ') + v + "\n";
    return out;
  }
  std::string Html() const {
    std::string out = "<table cellpadding=\"3\">\n";
    for (const auto& [k, v] : rows)
      out +=
          "<tr><th align=\"left\">" + HtmlEscape(k) + "</th><td>" + HtmlEscape(v) + "</td></tr>\n";
    return out + "</table>\n";
  }
};

std::string HtmlPage(const std::string& title, const std::string& inner) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
         "</title></head>\n<body style=\"font-family: sans-serif\">\n" + inner + "</body></html>\n";
}

std::string LookFurtherText(const std::string& run_id, const EmailOptions& o) {
  std::string out = "\nLook further:\n";
  if (!run_id.empty()) out += "  ecompipe runs " + run_id + "   (the run, per object)\n";
  out += "  ecompipe rejects          (rejected rows with object, line, reason)\n";
  out += "  ecompipe events           (the event log)\n";
  out += "  ecompipe notifications    (deliveries of these notifications)\n";
  if (!o.dashboard_url.empty()) out += "  Dashboard: " + o.dashboard_url + "\n";
  return out;
}

std::string LookFurtherHtml(const std::string& run_id, const EmailOptions& o) {
  std::string out = "<h3>Look further</h3>\n<ul>\n";
  if (!run_id.empty())
    out += "<li><code>ecompipe runs " + HtmlEscape(run_id) + "</code> (the run, per object)</li>\n";
  out += "<li><code>ecompipe rejects</code> (rejected rows with object, line, reason)</li>\n";
  out += "<li><code>ecompipe events</code> (the event log)</li>\n";
  if (!o.dashboard_url.empty())
    out += "<li>Dashboard: <a href=\"" + HtmlEscape(o.dashboard_url) + "\">" +
           HtmlEscape(o.dashboard_url) + "</a></li>\n";
  return out + "</ul>\n";
}

// A subject stays well within RFC 5322's 998 characters a line (headers are not folded here).
constexpr size_t kSubjectCause = 300;

// `s` cut to at most `max` bytes at a UTF-8 character boundary, with "..." when cut.
std::string Shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

EmailContent RenderJob(const Json& event, const EmailOptions& o) {
  const Json& d = event["detail"];
  const std::string job = Str(d, "jobName");
  const std::string state = Str(d, "state");
  const std::string date = Str(event, "time").substr(0, 10);
  const int64_t read = Int(d, "rowsRead"), loaded = Int(d, "rowsLoaded"),
                rejected = Int(d, "rowsRejected");
  // A failure's subject and first line say why (an object that failed to load, a quality gate
  // broken, with the object's key and the top reasons) rather than the counts; older events
  // without errorMessage give their message.
  std::string cause;
  if (events::ParseRunState(state) == events::RunState::kFailed) {
    cause = Str(d, "errorMessage");
    if (cause.empty()) cause = Str(d, "message");
  }
  EmailContent e;
  if (!cause.empty()) {
    e.subject =
        "[ecompipe] " + job + " " + state + " " + date + ": " + Shorten(cause, kSubjectCause);
  } else {
    e.subject = "[ecompipe] " + job + " " + state + " " + date + ": " + FormatThousands(loaded) +
                " loaded, " + FormatThousands(rejected) + " rejected";
  }

  Rows summary;
  summary.Add("Job", job);
  summary.Add("State", state);
  summary.Add("Run id", Str(d, "jobRunId"));
  summary.Add("Started", Str(d, "startedOn"));
  summary.Add("Completed", Str(d, "completedOn"));
  if (d.contains("executionTimeMs")) summary.Add("Duration", Duration(Int(d, "executionTimeMs")));
  summary.Add("Rows read", FormatThousands(read));
  summary.Add("Rows loaded", FormatThousands(loaded));
  summary.Add("Rows rejected", FormatThousands(rejected));
  summary.Add("Message", Str(d, "message"));

  std::vector<std::pair<std::string, int64_t>> reasons;
  if (d.contains("rejectReasons") && d["rejectReasons"].is_object())
    for (auto it = d["rejectReasons"].begin(); it != d["rejectReasons"].end(); ++it)
      if (it->is_number()) reasons.emplace_back(it.key(), it->get<int64_t>());
  std::sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  constexpr size_t kTopReasons = 10;

  std::string text = job + " " + state + " on " + date + (cause.empty() ? "" : ": " + cause) +
                     ".\n\n" + summary.Text();
  std::string html =
      "<h2>" + HtmlEscape(job) + " " + HtmlEscape(state) + " on " + HtmlEscape(date) + "</h2>\n" +
      (cause.empty() ? "" : "<p><b>" + HtmlEscape(cause) + "</b></p>\n") + summary.Html();
  if (!reasons.empty()) {
    text += "\nTop reject reasons:\n";
    html += "<h3>Top reject reasons</h3>\n<table cellpadding=\"3\">\n";
    for (size_t i = 0; i < reasons.size() && i < kTopReasons; ++i) {
      std::string n = FormatThousands(reasons[i].second);
      text += "  " + std::string(n.size() < 9 ? 9 - n.size() : 0, ' ') + n + "  " +
              reasons[i].first + "\n";
      html += "<tr><td align=\"right\">" + n + "</td><td><code>" + HtmlEscape(reasons[i].first) +
              "</code></td></tr>\n";
    }
    if (reasons.size() > kTopReasons)
      text += "  (and " + std::to_string(reasons.size() - kTopReasons) + " more reasons)\n";
    html += "</table>\n";
  }
  if (d.contains("objects") && d["objects"].is_array() && !d["objects"].empty()) {
    text += "\nObjects (" + std::to_string(d["objects"].size()) + "):\n";
    html +=
        "<h3>Objects</h3>\n<table cellpadding=\"3\">\n<tr><th "
        "align=\"left\">key</th><th>status</th>"
        "<th>read</th><th>loaded</th><th>rejected</th><th align=\"left\">message</th></tr>\n";
    for (const Json& obj : d["objects"]) {
      std::string line = "  " + Str(obj, "key") + "  " + Str(obj, "status") + ": " +
                         FormatThousands(Int(obj, "rowsRead")) + " read, " +
                         FormatThousands(Int(obj, "rowsLoaded")) + " loaded, " +
                         FormatThousands(Int(obj, "rowsRejected")) + " rejected";
      if (!Str(obj, "message").empty()) line += " (" + Str(obj, "message") + ")";
      text += line + "\n";
      html += "<tr><td><code>" + HtmlEscape(Str(obj, "key")) + "</code></td><td>" +
              HtmlEscape(Str(obj, "status")) + "</td><td align=\"right\">" +
              FormatThousands(Int(obj, "rowsRead")) + "</td><td align=\"right\">" +
              FormatThousands(Int(obj, "rowsLoaded")) + "</td><td align=\"right\">" +
              FormatThousands(Int(obj, "rowsRejected")) + "</td><td>" +
              HtmlEscape(Str(obj, "message")) + "</td></tr>\n";
    }
    html += "</table>\n";
  }
  text += LookFurtherText(Str(d, "jobRunId"), o);
  html += LookFurtherHtml(Str(d, "jobRunId"), o);
  text += "\nEvent id: " + Str(event, "id") + "\n";
  html += "<p style=\"color:#666\">Event id: " + HtmlEscape(Str(event, "id")) + "</p>\n";
  e.text = text;
  e.html = HtmlPage(e.subject, html);
  return e;
}

EmailContent RenderGeneric(const Json& event, const EmailOptions& o) {
  const Json detail = event.contains("detail") ? event["detail"] : Json::object();
  std::string name = Str(detail, "crawlerName");
  if (name.empty()) name = Str(detail, "jobName");
  if (name.empty()) name = Str(detail, "name");
  const std::string state = Str(detail, "state");
  const std::string date = Str(event, "time").substr(0, 10);
  std::string what = Str(event, "detail-type");
  if (what.empty()) what = "Event";
  EmailContent e;
  e.subject = "[ecompipe] " + what + ":";
  for (const std::string& part : {name, state, date})
    if (!part.empty()) e.subject += " " + part;
  Rows rows;
  rows.Add("Event", what);
  rows.Add("Source", Str(event, "source"));
  rows.Add("Time", Str(event, "time"));
  if (detail.is_object())
    for (auto it = detail.begin(); it != detail.end(); ++it)
      rows.Add(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  std::string text = e.subject.substr(11) + "\n\n" + rows.Text() + LookFurtherText("", o) +
                     "\nEvent id: " + Str(event, "id") + "\n";
  e.text = text;
  e.html = HtmlPage(e.subject, "<h2>" + HtmlEscape(e.subject.substr(11)) + "</h2>\n" + rows.Html() +
                                   LookFurtherHtml("", o) + "<p style=\"color:#666\">Event id: " +
                                   HtmlEscape(Str(event, "id")) + "</p>\n");
  return e;
}

}  // namespace

std::string FormatThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Rfc5322Date(int64_t epoch_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  // Names spelled out here: strftime's %a/%b follow the locale, RFC 5322 wants English.
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string EncodeHeaderWord(const std::string& s) {
  bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (plain) return s;
  return "=?UTF-8?B?" + Base64Encode(s) + "?=";
}

std::string QuotedPrintable(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto emit = [&](const std::string& piece) {
    if (col + piece.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      // Trailing whitespace before a line break must be encoded (RFC 2045 rule 3).
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t') && col > 0) {
        char ws = out.back();
        out.pop_back();
        --col;
        emit(std::string("=") + kHex[static_cast<unsigned char>(ws) >> 4] + kHex[ws & 15]);
      }
      out += "\r\n";
      col = 0;
      continue;
    }
    if (c == '\r') continue;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      emit(std::string(1, static_cast<char>(c)));
    } else {
      emit(std::string("=") + kHex[c >> 4] + kHex[c & 15]);
    }
  }
  if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    char ws = out.back();
    out.pop_back();
    out += std::string("=") + kHex[static_cast<unsigned char>(ws) >> 4] + kHex[ws & 15];
  }
  return out;
}

EmailContent RenderEventEmail(const Json& event, const EmailOptions& options) {
  if (event.is_object() && Str(event, "detail-type") == events::kJobStateChange &&
      event.contains("detail") && event["detail"].is_object())
    return RenderJob(event, options);
  return RenderGeneric(event.is_object() ? event : Json::object(), options);
}

EmailContent RenderDigestEmail(const std::string& topic, const std::vector<Json>& events,
                               const EmailOptions& options) {
  EmailContent e;
  e.subject = "[ecompipe] " + std::to_string(events.size()) + " notifications on " + topic +
              " (digest: the rate limit held them back)";
  std::string text = "The subscription's rate limit held back " + std::to_string(events.size()) +
                     " notifications; here they are in one message.\n\n";
  std::string html = "<h2>" + std::to_string(events.size()) + " notifications on " +
                     HtmlEscape(topic) +
                     "</h2>\n<p>The subscription's rate limit held them back; "
                     "here they are in one message.</p>\n<ul>\n";
  for (const Json& ev : events) {
    std::string line = RenderEventEmail(ev, options).subject.substr(11);
    text += "  - " + Str(ev, "time") + "  " + line + "\n";
    html += "<li>" + HtmlEscape(Str(ev, "time")) + " " + HtmlEscape(line) + "</li>\n";
  }
  text += LookFurtherText("", options);
  html += "</ul>\n" + LookFurtherHtml("", options);
  e.text = text;
  e.html = HtmlPage(e.subject, html);
  return e;
}

std::string BuildMimeMessage(const EmailContent& content, const MimeEnvelope& env) {
  std::mt19937_64 rng(std::random_device{}());
  char boundary[48];
  std::snprintf(boundary, sizeof boundary, "=_ecompipe_%016llx",
                static_cast<unsigned long long>(rng()));
  std::string to;
  for (const std::string& r : env.to) to += (to.empty() ? "" : ", ") + r;
  std::string m;
  m += "Date: " + Rfc5322Date(env.date_epoch_seconds) + "\r\n";
  m += "From: " + env.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + EncodeHeaderWord(content.subject) + "\r\n";
  m += "Message-ID: <" + env.message_id + ">\r\n";
  for (const auto& [k, v] : env.extra_headers) m += k + ": " + v + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + std::string(boundary) + "\"\r\n";
  m += "\r\n";
  m += "This is a multi-part message in MIME format.\r\n";
  m += "--" + std::string(boundary) + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
       "quoted-printable\r\n\r\n";
  m += QuotedPrintable(content.text) + "\r\n";
  m += "--" + std::string(boundary) + "\r\n";
  m += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
       "quoted-printable\r\n\r\n";
  m += QuotedPrintable(content.html) + "\r\n";
  m += "--" + std::string(boundary) + "--\r\n";
  return m;
}

}  // namespace ecompipe::notify
