// Metrics: what `GET /metrics` shows, in Prometheus's text exposition format (prometheus-cpp's
// Registry and TextSerializer).
//
// Two kinds of values, and where each comes from:
//
// - Process counters and histograms (ecompipe_objects_landed_total, ecompipe_rows_loaded_total,
//   ecompipe_run_duration_seconds, ecompipe_s3_requests_total, ...): incremented by the code
//   path that did the work (Landing, JobRunner, Notifier, the S3 endpoint), in this process
//   only. They start at zero when the process starts; with several workers on one PostgreSQL
//   state store each worker counts its own work, so a fleet's total is a sum over the scraped
//   instances (Prometheus handles the resets a restart makes: rate() and increase()).
// - State gauges (ecompipe_event_backlog, ecompipe_outbox_depth, ecompipe_dead_letters): read
//   from the shared state store when scraped (StateCounts, filled by runtime/state_gauges.h
//   with indexed counts), so every worker reports the same value: aggregate them with max(),
//   not sum().
//
// One Metrics per process: the pipeline owns it and hands a pointer to the components it
// wires (a null pointer: not counted, which is what unit tests that do not look at metrics
// pass). Every label value is bounded by the configuration or by a fixed set (jobs, reasons,
// topics and subscriptions, S3 operations, HTTP statuses), never by data such as keys.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
class Histogram;
}  // namespace prometheus

namespace ecompipe::metrics {

// The state gauges, read from the state store at scrape time.
struct StateCounts {
  int64_t event_backlog = 0;       // deliveries pending in the event log (due or waiting)
  int64_t dead_deliveries = 0;     // deliveries given up (dead letters of the event log)
  int64_t outbox_depth = 0;        // notifications pending in the outbox
  int64_t dead_notifications = 0;  // notifications given up (dead letters of the outbox)
};

// One object version's load, as JobRunner tells it.
struct ObjectLoad {
  int64_t rows_loaded = 0;
  int64_t rows_rejected = 0;
  std::map<std::string, int64_t> rejects_by_reason;  // reason code -> rows
  // From the object's last modification in the bucket (its landing) to the load's commit;
  // nullopt when the bucket gave no time.
  std::optional<double> landed_to_loaded_seconds;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Landing appended the Object Created event of a new object version of `bytes` bytes.
  void ObjectLanded(uint64_t bytes);
  // A job committed the load of one object version.
  void ObjectLoaded(const std::string& job, const ObjectLoad& load);
  // A job gave an object version up (unreadable or malformed; recorded as failed).
  void ObjectFailed(const std::string& job);
  // A job run ended in `state` (SUCCEEDED, FAILED, STOPPED) after `seconds`.
  void RunFinished(const std::string& job, std::string_view state, double seconds);
  // A notification of `topic`/`subscription` changed state: "published" (stored in the
  // outbox), "delivered", "failed" (an attempt failed; it is retried), "dead" (given up),
  // "held" (held back by the rate limit).
  void Notification(const std::string& topic, const std::string& subscription,
                    std::string_view state);
  // The S3 endpoint answered one request for `operation` (PutObject, ...) with `status`.
  void S3Request(std::string_view operation, int status);
  // The S3 endpoint read `bytes` of request bodies.
  void S3BytesReceived(uint64_t bytes);

  // Everything, in the text exposition format (version 0.0.4). `state`, when given, sets the
  // state gauges first; without it they are left out and ecompipe_state_store_up is 0.
  std::string Scrape(const StateCounts* state);

  // A counter's or gauge's value, for tests: `name` as exposed, `labels` exactly those of the
  // series; 0 when the series does not exist. A histogram's `_count` and `_sum` are found too.
  double ValueForTest(std::string_view name, const std::map<std::string, std::string>& labels);

 private:
  std::mutex scrape_mutex_;  // Scrape's setting of the state gauges and collecting are one step
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* objects_landed_;
  prometheus::Family<prometheus::Counter>* landed_bytes_;
  prometheus::Family<prometheus::Counter>* objects_loaded_;
  prometheus::Family<prometheus::Counter>* objects_failed_;
  prometheus::Family<prometheus::Counter>* rows_loaded_;
  prometheus::Family<prometheus::Counter>* rows_rejected_;
  prometheus::Family<prometheus::Histogram>* run_duration_;
  prometheus::Family<prometheus::Histogram>* landed_to_loaded_;
  prometheus::Family<prometheus::Counter>* notifications_;
  prometheus::Family<prometheus::Counter>* s3_requests_;
  prometheus::Family<prometheus::Counter>* s3_received_bytes_;
  prometheus::Family<prometheus::Gauge>* event_backlog_;
  prometheus::Family<prometheus::Gauge>* outbox_depth_;
  prometheus::Family<prometheus::Gauge>* dead_letters_;
  prometheus::Family<prometheus::Gauge>* state_up_;
};

}  // namespace ecompipe::metrics
