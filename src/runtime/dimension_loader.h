// Dimension loads: the upsert_dimension target (a dimension file landed in the bucket) and
// `ecompipe load-dims` (a file on disk), both upserting dim_products or dim_customers.
//
// A dimension file always has a header (its columns are mapped by name); its schema is
// inferred from a decoded sample as the crawler infers an object's. After each upsert the
// `changed` callback runs with the dimension, the file's key or path and the rows read, so that
// whoever caches the dimensions (the job runner) reads them again and the pipeline can tell
// (the Dimension Upserted event, which replays the rejects a late dimension may fix).
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "catalog/schema.h"
#include "common/status.h"
#include "events/event_log.h"
#include "model/dimension.h"
#include "storage/object_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

class DimensionLoader {
 public:
  // `store` and `warehouse` are owned by the caller and outlive the loader.
  DimensionLoader(storage::ObjectStore& store, warehouse::Warehouse& warehouse,
                  std::function<void(model::Dimension, const std::string&, int64_t)> changed)
      : store_(store), warehouse_(warehouse), changed_(std::move(changed)) {}

  // Upserts the dimension `delivery.target.name` (a DimensionName(), else kInvalidArgument)
  // from the object the delivery's Object Created event names.
  Status Upsert(const events::Delivery& delivery);
  // Upserts `dimension` from `file`, plain or compressed; returns the rows read.
  Result<int64_t> LoadFile(model::Dimension dimension, const std::filesystem::path& file);

 private:
  // Reads `in` (its schema `schema`; `where` names it in errors) into `dimension`'s table;
  // returns the rows read.
  Result<int64_t> UpsertRows(model::Dimension dimension, storage::InputStream& in,
                             const catalog::TableSchema& schema, const std::string& where);

  storage::ObjectStore& store_;
  warehouse::Warehouse& warehouse_;
  std::function<void(model::Dimension, const std::string&, int64_t)> changed_;
};

}  // namespace ecompipe::runtime
