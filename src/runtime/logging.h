// The process's log: text (today's "sentence. key=value" lines) or JSON lines, on stderr
// (journald takes it from there) or appended to a file that SIGUSR1 reopens (logrotate's
// postrotate). The `log` section of ecompipe.yaml sets the format and the file; the global
// options --log-format and --log-file override it.
//
// A JSON line is one object: "timestamp" (RFC 3339, UTC, milliseconds), "level" (debug, info,
// warning, error, critical), "message" (the sentence), then each key=value field of the text
// line as a string member, in order ("Serving. bucket=/b new_objects_at_start=0" gives
// {"message":"Serving.","bucket":"/b","new_objects_at_start":"0"}). A field is a word of
// lowercase letters, digits and underscores directly followed by '='; its value runs to the next
// field, so a value holding " word=" is split there. A field named like one of the three
// members is kept as "field.<name>".
//
// ConfigureLogging may be called again (the configuration file's section is known only after
// the file is read); the logger it installs is spdlog's default. Thread-safe as spdlog is.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe::runtime {

enum class LogFormat { kText, kJson };
std::string_view LogFormatName(LogFormat format);
// "text" or "json"; kInvalidArgument naming both otherwise.
Result<LogFormat> ParseLogFormat(std::string_view name);

// The `log` section: what it gives, nothing where it is silent.
struct LogConfig {
  std::optional<LogFormat> format;
  std::filesystem::path file;  // empty: stderr; relative paths resolve against the file's folder
};
// `log: {format: text|json, file: PATH}`; unknown keys are refused as everywhere.
Status ParseLogConfig(const ConfigReader& section, LogConfig& out);

struct LogOptions {
  LogFormat format = LogFormat::kText;
  std::filesystem::path file;  // empty: stderr
  spdlog::level::level_enum level = spdlog::level::info;
};

// Installs the default logger. Opening the file (created, appended to) may fail:
// kIoError naming it, and the previous logger stays.
Status ConfigureLogging(const LogOptions& options);

// The format ConfigureLogging installed last (text before any call).
LogFormat CurrentLogFormat();
// Whether the log goes to a file rather than stderr.
bool LoggingToFile();

// Reopens the log file under its configured name (after a rotation renamed it); no-op when
// logging to stderr. Logs an error and keeps the old descriptor when the name cannot be opened.
void ReopenLogFile();

// Blocks SIGUSR1 in the calling thread and the threads it starts later, and has one thread wait
// for it and ReopenLogFile(). Call first thing in main(), before any thread exists: otherwise a
// thread with SIGUSR1 unblocked would take its default action (termination).
void HandleSigusr1ByReopeningTheLog();

// One JSON log line (without the newline), as described above; exposed for the unit tests.
std::string FormatJsonLogLine(std::chrono::system_clock::time_point when,
                              spdlog::level::level_enum level, std::string_view text);

}  // namespace ecompipe::runtime
