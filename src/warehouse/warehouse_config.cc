#include "warehouse/warehouse_config.h"

#include <algorithm>

namespace ecompipe::warehouse {

Status ParseWarehouseConfig(const ConfigReader& s, const WarehouseFactory& factory,
                            WarehouseConfig& out) {
  EP_RETURN_IF_ERROR(s.ExpectMap());
  std::vector<std::string> keys = {"type"};
  for (const std::string& name : factory.Types())
    for (const std::string& key : factory.Find(name)->keys)
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  EP_RETURN_IF_ERROR(s.CheckKeys(keys));
  EP_RETURN_IF_ERROR(s.String("type", out.type));
  const WarehouseType* type = factory.Find(out.type);
  if (!type)
    return s.Error(s.Node("type"),
                   "'warehouse.type': '" + out.type +
                       "' is not supported (allowed: " + ConfigReader::Join(factory.Types()) + ")");
  return type->parse(s, out);
}

}  // namespace ecompipe::warehouse
