// A registry of one kind of component (object stores, event sources, warehouses, subscribers,
// rule targets) by the name a configuration gives in `type:`.
//
// Each kind instantiates it with its own entry: how to parse the type's configuration node and
// how to build the component from what was parsed. Components expose a Register…(factory)
// function; runtime/register_components.cc is the one list that calls them all, so a reader
// sees every backend in one place. Nothing outside a factory compares `type` strings: callers
// Find() the entry and use it.
//
// Thread-safety: registration happens once, before any lookup (RegisterComponents() runs under
// std::call_once); lookups are read-only and may run concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecompipe {

template <typename Entry>
class ComponentFactory {
 public:
  // The process's one registry of this kind.
  static ComponentFactory& Instance() {
    static ComponentFactory factory;
    return factory;
  }

  // Adds `type`; a type registered again keeps its first entry (registration is idempotent).
  void Register(std::string type, Entry entry) {
    if (Find(type)) return;
    types_.push_back(type);
    entries_.emplace_back(std::move(type), std::move(entry));
  }
  // The entry of `type`; null when no component registered it.
  const Entry* Find(std::string_view type) const {
    for (const auto& [name, entry] : entries_)
      if (name == type) return &entry;
    return nullptr;
  }
  // Every registered type, in registration order (error messages list them so).
  const std::vector<std::string>& Types() const { return types_; }

 private:
  std::vector<std::pair<std::string, Entry>> entries_;
  std::vector<std::string> types_;
};

}  // namespace ecompipe
