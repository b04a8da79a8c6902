#include "storage/local/local_store_config.h"

#include "storage/local/local_folder_store.h"

namespace ecompipe::storage {

Status ParseLocalStoreConfig(const ConfigReader& s, ObjectStoreConfig& out) {
  std::string path = "bucket";
  EP_RETURN_IF_ERROR(s.CheckKeys({"type", "path", "bucket"}));
  EP_RETURN_IF_ERROR(s.PathString("path", path));
  EP_RETURN_IF_ERROR(s.String("bucket", out.bucket));
  out.settings = LocalStoreConfig{s.Resolve(path)};
  return Status::Ok();
}

void RegisterLocalStore(ObjectStoreFactory& factory) {
  factory.Register(
      "local", {ParseLocalStoreConfig,
                [](const ObjectStoreConfig& c) -> Result<std::unique_ptr<ObjectStore>> {
                  const auto* local = c.As<LocalStoreConfig>();
                  if (!local) return Status(StatusCode::kInternal, "not a local store's settings");
                  EP_ASSIGN_OR_RETURN(auto store, LocalFolderStore::Open(local->path, c.bucket));
                  return std::unique_ptr<ObjectStore>(std::move(store));
                }});
}

}  // namespace ecompipe::storage
