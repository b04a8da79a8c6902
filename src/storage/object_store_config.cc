#include "storage/object_store_config.h"

namespace ecompipe::storage {

Status ParseObjectStoreConfig(const ConfigReader& s, const ObjectStoreFactory& factory,
                              ObjectStoreConfig& out) {
  EP_RETURN_IF_ERROR(s.ExpectMap());
  EP_RETURN_IF_ERROR(s.String("type", out.type));
  const ObjectStoreType* type = factory.Find(out.type);
  if (!type)
    return s.Error(s.Node("type"),
                   "'storage.type': '" + out.type +
                       "' is not supported (allowed: " + ConfigReader::Join(factory.Types()) + ")");
  return type->parse(s, out);
}

}  // namespace ecompipe::storage
