#include "runtime/metrics_routes.h"

#include <memory>
#include <utility>

#include "runtime/state_gauges.h"

namespace ecompipe::runtime {

Status AddMetricsRoutes(api::http::Router& router, const PipelineConfig& config,
                        metrics::Metrics& metrics) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<StateGauges> opened,
                      StateGauges::Open(config.state.Location()));
  std::shared_ptr<StateGauges> gauges = std::move(opened);
  return router.Add("GET", "/metrics", config.api.metrics_access,
                    [gauges, &metrics](const api::http::Request&) {
                      return api::http::Response{200, "text/plain; version=0.0.4; charset=utf-8",
                                                 gauges->Scrape(metrics)};
                    });
}

}  // namespace ecompipe::runtime
