// The bucket's configuration (`storage:` in ecompipe.yaml) and the registry of object store
// types (local, s3) it is parsed and opened through.
//
// `type` picks a registered ObjectStoreType; its `parse` reads the rest of the section into
// `settings` (the type's own struct: storage::LocalStoreConfig, storage::s3::S3StoreConfig) and
// the bucket's name, and its `open` builds the store from them.
#pragma once

#include <any>
#include <functional>
#include <memory>
#include <string>

#include "common/component_factory.h"
#include "common/config_reader.h"
#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::storage {

struct ObjectStoreConfig {
  std::string type = "local";               // a registered object store type
  std::string bucket = "raw-transactions";  // the bucket's name in events, catalog and ledger
  std::any settings;                        // the type's own settings

  // The type's settings, or null when the store is of another type.
  template <typename T>
  const T* As() const {
    return std::any_cast<T>(&settings);
  }
};

struct ObjectStoreType {
  // Reads the section (`type` already read) into `out.settings` and `out.bucket`.
  std::function<Status(const ConfigReader& section, ObjectStoreConfig& out)> parse;
  // Opens the store; creates what a local store needs.
  std::function<Result<std::unique_ptr<ObjectStore>>(const ObjectStoreConfig& config)> open;
};
using ObjectStoreFactory = ComponentFactory<ObjectStoreType>;

// Reads `storage:` through `factory` (absent: a local bucket folder "bucket" beside the file).
Status ParseObjectStoreConfig(const ConfigReader& section, const ObjectStoreFactory& factory,
                              ObjectStoreConfig& out);

}  // namespace ecompipe::storage
