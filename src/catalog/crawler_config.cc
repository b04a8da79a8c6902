#include "catalog/crawler_config.h"

#include <optional>

namespace ecompipe::catalog {

Status ParseCrawlerConfig(const ConfigReader& c, CrawlerConfig& out) {
  EP_RETURN_IF_ERROR(c.ExpectMap());
  EP_RETURN_IF_ERROR(c.CheckKeys({"name", "header"}));
  EP_RETURN_IF_ERROR(c.String("name", out.name, true));
  std::string header(HeaderModeName(out.header));
  EP_RETURN_IF_ERROR(c.String("header", header));
  std::optional<HeaderMode> mode = ParseHeaderMode(header);
  if (!mode)
    return c.Error(c.Node("header"), "'" + c.Path("header") + "': '" + header +
                                         "' is not supported (allowed: detect, present, absent)");
  out.header = *mode;
  return Status::Ok();
}

}  // namespace ecompipe::catalog
