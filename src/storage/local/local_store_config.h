// storage: {type: local}: the bucket is a folder, watched with inotify.
#pragma once

#include <filesystem>

#include "common/config_reader.h"
#include "common/status.h"
#include "storage/object_store_config.h"

namespace ecompipe::storage {

struct LocalStoreConfig {
  std::filesystem::path path;  // the bucket folder, absolute
};

// Reads {type: local, path, bucket}; `path` defaults to "bucket" beside the file.
Status ParseLocalStoreConfig(const ConfigReader& section, ObjectStoreConfig& out);

// Registers the type `local`.
void RegisterLocalStore(ObjectStoreFactory& factory);

}  // namespace ecompipe::storage
