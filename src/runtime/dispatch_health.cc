#include "runtime/dispatch_health.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <spdlog/spdlog.h>

#include "common/time_util.h"

namespace ecompipe::runtime {
namespace {

// The file's size: a report is a few hundred bytes; an error longer than fits is cut.
constexpr size_t kFileBytes = 4096;
constexpr size_t kMaxErrorBytes = 2048;

}  // namespace

DispatchHealth::DispatchHealth(std::filesystem::path file, BackoffOptions options,
                               std::function<int64_t()> now_ms)
    : file_(std::move(file)),
      options_(options),
      now_ms_(now_ms ? std::move(now_ms) : std::function<int64_t()>(NowMillis)) {
  if (file_.empty()) return;
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  // Its blocks are taken now, while there is room, so that later writes need none.
  const int rc = fd_ < 0 ? errno : ::posix_fallocate(fd_, 0, kFileBytes);
  if (rc != 0) {
    spdlog::warn(
        "Cannot keep the serve health file; `status` will not show the serve loop's "
        "state. path={} error={}",
        file_.string(), std::strerror(rc));
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return;
  }
  Write();
}

DispatchHealth::~DispatchHealth() {
  if (fd_ < 0) return;
  // A stopped loop has no state to report: the file says so by naming no live process.
  ::close(fd_);
  std::error_code ec;
  std::filesystem::remove(file_, ec);
}

std::optional<int64_t> DispatchHealth::Round(const Status& round) {
  const int64_t now = now_ms_();
  if (round.ok()) {
    if (failures_ > 0) {
      spdlog::info("Dispatch recovered. failed_rounds={} degraded_ms={}", failures_,
                   now - since_ms_);
      ++logged_;
      failures_ = 0;
      code_ = StatusCode::kOk;
      error_.clear();
      Write();
    }
    return std::nullopt;
  }
  ++failures_;
  const int shift = static_cast<int>(std::min<int64_t>(failures_ - 1, 30));
  const int64_t delay = std::min(options_.max_ms, options_.base_ms << shift);
  next_round_ms_ = now + delay;
  if (failures_ == 1) since_ms_ = now;
  // Logged when rounds start failing and when the kind of error changes, not per attempt.
  if (failures_ == 1 || round.code() != code_) {
    spdlog::error(
        "Dispatch round failed; backing off, retrying up to every {} ms. error={} failures={}",
        options_.max_ms, round.ToString(), failures_);
    ++logged_;
  } else {
    spdlog::debug("Dispatch round failed again. failures={} next_in_ms={}", failures_, delay);
  }
  code_ = round.code();
  error_ = round.ToString().substr(0, kMaxErrorBytes);
  Write();
  return delay;
}

Json DispatchHealth::Report() const {
  Json j = {{"pid", static_cast<int64_t>(::getpid())},
            {"state", failures_ > 0 ? "degraded" : "serving"},
            {"updated_at", FormatIsoMillis(now_ms_())}};
  if (failures_ > 0) {
    j["since"] = FormatIsoMillis(since_ms_);
    j["failures"] = failures_;
    j["error"] = error_;
    j["next_round_at"] = FormatIsoMillis(next_round_ms_);
  }
  return j;
}

void DispatchHealth::Write() {
  if (fd_ < 0) return;
  std::string text = Report().dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() >= kFileBytes) return;
  text.resize(kFileBytes, ' ');  // white space after the JSON: the same size every time
  text.back() = '\n';
  (void)::pwrite(fd_, text.data(), text.size(), 0);
}

std::filesystem::path DispatchHealthFile(const std::filesystem::path& state_db) {
  return state_db.parent_path() / "serve-health.json";
}

std::optional<Json> ReadDispatchHealth(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text(std::istreambuf_iterator<char>(in), {});
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer()) return std::nullopt;
  const auto pid = j["pid"].get<int64_t>();
  // A process that died without removing its file is not serving.
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) return std::nullopt;
  return j;
}

}  // namespace ecompipe::runtime
