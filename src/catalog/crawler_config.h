// A crawler as ecompipe.yaml declares it (`crawlers[]`: name, header).
#pragma once

#include <string>

#include "catalog/crawler.h"
#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe::catalog {

struct CrawlerConfig {
  std::string name;
  // Whether a CSV object's first row is a header (Glue's ContainsHeader): detect | present |
  // absent. The crawler records its answer in the catalog, and the job reads by it.
  HeaderMode header = HeaderMode::kDetect;
};

// Reads one item of `crawlers`. Names are checked for uniqueness by the caller.
Status ParseCrawlerConfig(const ConfigReader& r, CrawlerConfig& out);

}  // namespace ecompipe::catalog
