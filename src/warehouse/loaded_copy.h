// The ledger seen from the content's side: has the same content (the same ETag) already
// been loaded under another key? A copy of a loaded file landing under a new key is a new
// object and loads; with the reference job its rows become duplicate_transaction_id rejects,
// which `ecompipe put` and the serve log warn about when they see it coming.
#pragma once

#include <optional>

#include "common/status.h"
#include "storage/object_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::warehouse {

// The most recent load (status "loaded") in `object.bucket` of another key with
// `object.etag`; nullopt when there is none. The entry's bucket, key, etag, status, run_id
// and row counts are set. ETags identify content for single PUTs and local files (an MD5);
// the same bytes uploaded in several parts have another ETag and are not found.
Result<std::optional<LedgerEntry>> FindLoadedCopy(Warehouse& warehouse,
                                                  const storage::ObjectRef& object);

}  // namespace ecompipe::warehouse
