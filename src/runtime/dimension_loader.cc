#include "runtime/dimension_loader.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "catalog/crawler.h"
#include "common/progress.h"
#include "runtime/landing.h"
#include "storage/compression.h"
#include "storage/local/local_folder_store.h"
#include "storage/progress_stream.h"
#include "transform/transaction_job.h"

namespace ecompipe::runtime {

namespace fs = std::filesystem;

Result<int64_t> DimensionLoader::UpsertRows(model::Dimension dimension, storage::InputStream& in,
                                            const catalog::TableSchema& schema,
                                            const std::string& where) {
  int64_t rows = 0;
  if (dimension == model::Dimension::kProducts) {
    EP_ASSIGN_OR_RETURN(auto products, transform::ReadProducts(in, schema, where));
    EP_RETURN_IF_ERROR(warehouse_.UpsertProducts(products));
    rows = static_cast<int64_t>(products.size());
  } else {
    EP_ASSIGN_OR_RETURN(auto customers, transform::ReadCustomers(in, schema, where));
    EP_RETURN_IF_ERROR(warehouse_.UpsertCustomers(customers));
    rows = static_cast<int64_t>(customers.size());
  }
  if (changed_) changed_(dimension, where, rows);
  return rows;
}

Status DimensionLoader::Upsert(const events::Delivery& d) {
  // The configuration allows only the dimensions' names (runtime/rule_targets.cc).
  const std::optional<model::Dimension> dimension = model::ParseDimension(d.target.name);
  if (!dimension) return Status::InvalidArgument("unknown dimension '" + d.target.name + "'");
  EP_ASSIGN_OR_RETURN(storage::ObjectRef wanted, ObjectNamedBy(d.event, store_.bucket()));
  Result<storage::ObjectRef> head = store_.Head(wanted.key);
  if (!head.ok()) return head.status();
  EP_ASSIGN_OR_RETURN(catalog::CrawlResult crawl, catalog::CrawlObject(store_, *head));
  // A dimension file always has a header (its columns are mapped by name). The crawler cannot
  // tell one apart when every column is text (Glue's rule), so it is not asked to.
  crawl.schema.has_header = true;
  EP_ASSIGN_OR_RETURN(auto raw, store_.Open(*head));
  EP_ASSIGN_OR_RETURN(auto decoded, storage::OpenDecoded(std::move(raw)));
  EP_ASSIGN_OR_RETURN(int64_t rows, UpsertRows(*dimension, *decoded, crawl.schema, head->key));
  spdlog::info("Dimension upserted. dimension={} key={} rows={}", d.target.name, head->key, rows);
  return Status::Ok();
}

Result<int64_t> DimensionLoader::LoadFile(model::Dimension dimension, const fs::path& file) {
  auto open = [&](bool counted) -> Result<std::unique_ptr<storage::InputStream>> {
    EP_ASSIGN_OR_RETURN(auto raw, storage::OpenLocalFile(file));
    return storage::OpenDecoded(counted ? storage::WithProgress(std::move(raw)) : std::move(raw));
  };
  // The schema comes from a decoded sample, as the crawler reads objects; then a fresh read.
  std::string sample(catalog::kSampleBytes, '\0');
  size_t got = 0;
  {
    EP_ASSIGN_OR_RETURN(auto probe, open(false));
    while (got < sample.size()) {
      EP_ASSIGN_OR_RETURN(size_t n, probe->Read(sample.data() + got, sample.size() - got));
      if (n == 0) break;
      got += n;
    }
  }
  const bool whole = got < sample.size();
  sample.resize(got);
  Result<catalog::TableSchema> schema = catalog::InferSchema(sample, whole);
  if (!schema.ok())
    return Status(schema.status().code(), schema.status().message()).At(file.string());
  schema->has_header = true;  // see Upsert
  std::error_code size_unknown;
  const uintmax_t size = fs::file_size(file, size_unknown);
  progress::Task shown(file.string(), size_unknown ? 0 : size);  // `load-dims`'s progress line
  EP_ASSIGN_OR_RETURN(auto decoded, open(true));
  return UpsertRows(dimension, *decoded, *schema, file.string());
}

}  // namespace ecompipe::runtime
