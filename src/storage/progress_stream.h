// WithProgress: a stream that tells progress::Add (common/progress.h) the bytes each read
// returned, so that long work reports how far it got by the bytes it already reads.
#pragma once

#include <memory>

#include "storage/object_store.h"

namespace ecompipe::storage {

std::unique_ptr<InputStream> WithProgress(std::unique_ptr<InputStream> in);

}  // namespace ecompipe::storage
