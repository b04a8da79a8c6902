#include "runtime/logging.h"

#include <signal.h>  // NOLINT(modernize-deprecated-headers): sigwait, pthread_sigmask are POSIX's
#include <time.h>    // NOLINT(modernize-deprecated-headers): gmtime_r is POSIX's

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/json.h"

namespace ecompipe::runtime {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v";

bool IsFieldChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// The offset of the field starting at or after `from` (" key=" preceded by a space, or at 0),
// and the length of its key; npos when none.
std::pair<size_t, size_t> NextField(std::string_view text, size_t from) {
  for (size_t i = from; i < text.size(); ++i) {
    if (i > 0 && text[i - 1] != ' ') continue;
    if (!(text[i] >= 'a' && text[i] <= 'z')) continue;
    size_t j = i;
    while (j < text.size() && IsFieldChar(text[j])) ++j;
    if (j < text.size() && text[j] == '=') return {i, j - i};
  }
  return {std::string_view::npos, 0};
}

std::string Rfc3339Utc(std::chrono::system_clock::time_point when) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];  // the widest a tm can print: seven ints of up to 11 characters
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string line = FormatJsonLogLine(
        msg.time, msg.level, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// A file sink whose file can be reopened under its name: after logrotate renames the file,
// SIGUSR1 makes the next line go to a new file of the configured name.
class ReopenableFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static Result<std::shared_ptr<ReopenableFileSink>> Open(const std::filesystem::path& path) {
    std::FILE* f = std::fopen(path.c_str(), "ae");
    if (!f)
      return Status::IoError("cannot open log file " + path.string() + ": " + std::strerror(errno));
    return std::shared_ptr<ReopenableFileSink>(new ReopenableFileSink(path, f));
  }
  ~ReopenableFileSink() override { std::fclose(file_); }

  // kIoError when the name cannot be opened; the old file stays in use then.
  Status Reopen() {
    std::lock_guard lock(mutex_);
    std::FILE* f = std::fopen(path_.c_str(), "ae");
    if (!f)
      return Status::IoError("cannot reopen log file " + path_.string() + ": " +
                             std::strerror(errno));
    std::fclose(file_);
    file_ = f;
    return Status::Ok();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    // Whole lines, flushed each time: a reader tailing the file never sees half a line for
    // long, and a crash loses nothing that was logged.
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  ReopenableFileSink(std::filesystem::path path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::filesystem::path path_;
  std::FILE* file_;
};

std::mutex file_sink_mutex;
std::shared_ptr<ReopenableFileSink> file_sink;  // the current one, when logging to a file
std::atomic<LogFormat> current_format{LogFormat::kText};

}  // namespace

std::string_view LogFormatName(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return Status::InvalidArgument("log format must be text or json, not '" + std::string(name) +
                                 "'");
}

Status ParseLogConfig(const ConfigReader& r, LogConfig& out) {
  EP_RETURN_IF_ERROR(r.ExpectMap());
  EP_RETURN_IF_ERROR(r.CheckKeys({"format", "file"}));
  if (r.Has("format")) {
    std::string name;
    EP_RETURN_IF_ERROR(r.String("format", name));
    Result<LogFormat> format = ParseLogFormat(name);
    if (!format.ok())
      return r.Error(r.Node("format"), "'" + r.Path("format") + "': " + format.status().message());
    out.format = *format;
  }
  std::string file;
  EP_RETURN_IF_ERROR(r.PathString("file", file));
  if (!file.empty()) out.file = r.Resolve(file);
  return Status::Ok();
}

std::string FormatJsonLogLine(std::chrono::system_clock::time_point when,
                              spdlog::level::level_enum level, std::string_view text) {
  OrderedJson line = OrderedJson::object();
  line["timestamp"] = Rfc3339Utc(when);
  const auto name = spdlog::level::to_string_view(level);
  line["level"] =
      level == spdlog::level::warn ? std::string("warning") : std::string(name.data(), name.size());
  auto [at, key_len] = NextField(text, 0);
  std::string_view message = text.substr(0, at);
  while (!message.empty() && message.back() == ' ') message.remove_suffix(1);
  line["message"] = std::string(message);
  while (at != std::string_view::npos) {
    const std::string key(text.substr(at, key_len));
    const size_t value_at = at + key_len + 1;
    auto [next, next_len] = NextField(text, value_at);
    std::string_view value =
        text.substr(value_at, next == std::string_view::npos ? next : next - 1 - value_at);
    const bool reserved = key == "timestamp" || key == "level" || key == "message";
    line[reserved ? "field." + key : key] = std::string(value);
    at = next;
    key_len = next_len;
  }
  // Invalid UTF-8 in a message (a file name, raw row text) becomes U+FFFD rather than
  // an exception: a log line is never lost to its content.
  return line.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

Status ConfigureLogging(const LogOptions& options) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  std::shared_ptr<ReopenableFileSink> file;
  if (!options.file.empty()) {
    EP_ASSIGN_OR_RETURN(file, ReopenableFileSink::Open(options.file));
    sink = file;
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  if (options.format == LogFormat::kJson) {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(kTextPattern));
  }
  auto logger = std::make_shared<spdlog::logger>("ecompipe", sink);
  logger->set_level(options.level);
  spdlog::set_default_logger(logger);
  current_format.store(options.format);
  std::lock_guard lock(file_sink_mutex);
  file_sink = file;
  return Status::Ok();
}

LogFormat CurrentLogFormat() { return current_format.load(); }

bool LoggingToFile() {
  std::lock_guard lock(file_sink_mutex);
  return file_sink != nullptr;
}

void ReopenLogFile() {
  std::shared_ptr<ReopenableFileSink> sink;
  {
    std::lock_guard lock(file_sink_mutex);
    sink = file_sink;
  }
  if (!sink) return;
  Status s = sink->Reopen();
  if (!s.ok()) {
    spdlog::error("Log file not reopened; logging on to the old one. error={}", s.ToString());
    return;
  }
  spdlog::info("Log file reopened.");
}

void HandleSigusr1ByReopeningTheLog() {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Detached: it waits for the whole life of the process, and exit() does not wait for it.
  std::thread([] {
    // Every signal blocked here: SIGINT and SIGTERM, which the main thread blocks later for its
    // own signal thread, must never be delivered to this one (their default action would end the
    // process without the orderly stop).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) == 0) ReopenLogFile();
    }
  }).detach();
}

}  // namespace ecompipe::runtime
