// GET /metrics on the API server (docs/operations.md, "Metrics"): the serving process's counters
// and histograms (metrics/metrics.h) and the state gauges, read from the state store at each
// scrape over a connection of their own (runtime/state_gauges.h), in Prometheus's text
// exposition format. Who may read it is the api section's `metrics` (token: a viewer token;
// public: anyone).
#pragma once

#include "api/http/router.h"
#include "common/status.h"
#include "metrics/metrics.h"
#include "runtime/config.h"

namespace ecompipe::runtime {

// `metrics` must be the serving pipeline's (the one that counts), not the API's reader's, and
// must outlive the router's server. Errors: the state store cannot be connected to.
Status AddMetricsRoutes(api::http::Router& router, const PipelineConfig& config,
                        metrics::Metrics& metrics);

}  // namespace ecompipe::runtime
