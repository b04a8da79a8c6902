#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/build_info.h"

namespace ecompipe::metrics {
namespace {

using prometheus::Labels;

// Runs take from a second to an hour; a load's wait after landing from a fraction of a second
// (serve, a quiet pipeline) to a day (files landed while nothing ran).
const prometheus::Histogram::BucketBoundaries& RunBuckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.1, 0.25, 0.5, 1,   2.5, 5,    10,
                                                         30,  60,   120, 300, 600, 1800, 3600};
  return b;
}
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.1, 0.25, 0.5, 1,   2.5,  5,     10,
                                                         30,  60,   300, 900, 3600, 21600, 86400};
  return b;
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  objects_landed_ = &prometheus::BuildCounter()
                         .Name("ecompipe_objects_landed_total")
                         .Help("Object versions this process announced as landed (Object Created)")
                         .Register(r);
  landed_bytes_ = &prometheus::BuildCounter()
                       .Name("ecompipe_landed_bytes_total")
                       .Help("Bytes of the object versions this process announced as landed")
                       .Register(r);
  objects_loaded_ = &prometheus::BuildCounter()
                         .Name("ecompipe_objects_loaded_total")
                         .Help("Object versions whose load this process committed, by job")
                         .Register(r);
  objects_failed_ = &prometheus::BuildCounter()
                         .Name("ecompipe_objects_failed_total")
                         .Help("Object versions this process gave up as unloadable, by job")
                         .Register(r);
  rows_loaded_ = &prometheus::BuildCounter()
                      .Name("ecompipe_rows_loaded_total")
                      .Help("Fact rows this process loaded into the warehouse, by job")
                      .Register(r);
  rows_rejected_ = &prometheus::BuildCounter()
                        .Name("ecompipe_rows_rejected_total")
                        .Help("Rows this process rejected, by job and reason code")
                        .Register(r);
  run_duration_ = &prometheus::BuildHistogram()
                       .Name("ecompipe_run_duration_seconds")
                       .Help("Duration of the job runs this process ran, by job and final state")
                       .Register(r);
  landed_to_loaded_ =
      &prometheus::BuildHistogram()
           .Name("ecompipe_landed_to_loaded_seconds")
           .Help("From an object's last modification in the bucket to its load's commit, by job")
           .Register(r);
  notifications_ =
      &prometheus::BuildCounter()
           .Name("ecompipe_notifications_total")
           .Help("Notification state changes in this process, by topic, subscription and state")
           .Register(r);
  s3_requests_ = &prometheus::BuildCounter()
                      .Name("ecompipe_s3_requests_total")
                      .Help("Requests the S3 endpoint answered, by operation and HTTP status")
                      .Register(r);
  s3_received_bytes_ = &prometheus::BuildCounter()
                            .Name("ecompipe_s3_received_bytes_total")
                            .Help("Bytes of request bodies the S3 endpoint received")
                            .Register(r);
  event_backlog_ = &prometheus::BuildGauge()
                        .Name("ecompipe_event_backlog")
                        .Help("Deliveries pending in the shared event log (state store)")
                        .Register(r);
  outbox_depth_ = &prometheus::BuildGauge()
                       .Name("ecompipe_outbox_depth")
                       .Help("Notifications pending in the shared outbox (state store)")
                       .Register(r);
  dead_letters_ = &prometheus::BuildGauge()
                       .Name("ecompipe_dead_letters")
                       .Help("Dead letters in the state store, by kind (delivery, notification)")
                       .Register(r);
  state_up_ =
      &prometheus::BuildGauge()
           .Name("ecompipe_state_store_up")
           .Help("1 when the state gauges were read at this scrape, 0 when they could not be")
           .Register(r);
  auto& build = prometheus::BuildGauge()
                    .Name("ecompipe_build_info")
                    .Help("Always 1; the version and commit of the running binary as labels")
                    .Register(r);
  build.Add({{"version", GetBuildInfo().version}, {"commit", GetBuildInfo().commit}}).Set(1);
  auto& started = prometheus::BuildGauge()
                      .Name("ecompipe_start_time_seconds")
                      .Help("When this process started, in seconds since the Unix epoch")
                      .Register(r);
  started.Add({}).Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  // The series without labels exist from the start, so a rate over them has a zero to begin at.
  objects_landed_->Add({});
  landed_bytes_->Add({});
  s3_received_bytes_->Add({});
}

Metrics::~Metrics() = default;

void Metrics::ObjectLanded(uint64_t bytes) {
  objects_landed_->Add({}).Increment();
  landed_bytes_->Add({}).Increment(static_cast<double>(bytes));
}

void Metrics::ObjectLoaded(const std::string& job, const ObjectLoad& load) {
  const Labels by_job{{"job", job}};
  objects_loaded_->Add(by_job).Increment();
  rows_loaded_->Add(by_job).Increment(static_cast<double>(std::max<int64_t>(load.rows_loaded, 0)));
  // Rejects whose reason could not be read are still counted, under "unknown".
  int64_t told = 0;
  for (const auto& [reason, rows] : load.rejects_by_reason) {
    if (rows <= 0) continue;
    rows_rejected_->Add({{"job", job}, {"reason", reason}}).Increment(static_cast<double>(rows));
    told += rows;
  }
  if (load.rows_rejected > told)
    rows_rejected_->Add({{"job", job}, {"reason", "unknown"}})
        .Increment(static_cast<double>(load.rows_rejected - told));
  if (load.landed_to_loaded_seconds)
    landed_to_loaded_->Add(by_job, LatencyBuckets())
        .Observe(std::max(0.0, *load.landed_to_loaded_seconds));
}

void Metrics::ObjectFailed(const std::string& job) {
  objects_failed_->Add({{"job", job}}).Increment();
}

void Metrics::RunFinished(const std::string& job, std::string_view state, double seconds) {
  run_duration_->Add({{"job", job}, {"state", std::string(state)}}, RunBuckets())
      .Observe(std::max(0.0, seconds));
}

void Metrics::Notification(const std::string& topic, const std::string& subscription,
                           std::string_view state) {
  notifications_
      ->Add({{"topic", topic}, {"subscription", subscription}, {"state", std::string(state)}})
      .Increment();
}

void Metrics::S3Request(std::string_view operation, int status) {
  s3_requests_->Add({{"operation", std::string(operation)}, {"status", std::to_string(status)}})
      .Increment();
}

void Metrics::S3BytesReceived(uint64_t bytes) {
  if (bytes > 0) s3_received_bytes_->Add({}).Increment(static_cast<double>(bytes));
}

std::string Metrics::Scrape(const StateCounts* state) {
  std::lock_guard lock(scrape_mutex_);
  state_up_->Add({}).Set(state ? 1 : 0);
  if (state) {
    event_backlog_->Add({}).Set(static_cast<double>(state->event_backlog));
    outbox_depth_->Add({}).Set(static_cast<double>(state->outbox_depth));
    dead_letters_->Add({{"kind", "delivery"}}).Set(static_cast<double>(state->dead_deliveries));
    dead_letters_->Add({{"kind", "notification"}})
        .Set(static_cast<double>(state->dead_notifications));
  }
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  if (!state) {
    // A gauge not read at this scrape is absent rather than stale.
    std::erase_if(families, [](const prometheus::MetricFamily& f) {
      return f.name == "ecompipe_event_backlog" || f.name == "ecompipe_outbox_depth" ||
             f.name == "ecompipe_dead_letters";
    });
  }
  return prometheus::TextSerializer().Serialize(families);
}

double Metrics::ValueForTest(std::string_view name,
                             const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& f : registry_->Collect()) {
    const bool count = name == f.name + "_count", sum = name == f.name + "_sum";
    if (name != f.name && !count && !sum) continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      switch (f.type) {
        case prometheus::MetricType::Counter:
          return m.counter.value;
        case prometheus::MetricType::Gauge:
          return m.gauge.value;
        case prometheus::MetricType::Histogram:
          return count ? static_cast<double>(m.histogram.sample_count) : m.histogram.sample_sum;
        default:
          return 0;
      }
    }
  }
  return 0;
}

}  // namespace ecompipe::metrics
