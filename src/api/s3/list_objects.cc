#include "api/s3/list_objects.h"

#include "common/digest.h"

namespace ecompipe::api::s3 {

ListPage BuildListPage(const std::vector<ObjectInfo>& objects, const std::string& prefix,
                       const std::string& delimiter, const std::string& after, int max_keys) {
  ListPage page;
  if (max_keys <= 0) return page;  // nothing asked for: not "truncated", or pagers would loop
  int count = 0;
  for (const ObjectInfo& o : objects) {
    const std::string& key = o.ref.key;
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string group;
    if (!delimiter.empty()) {
      const size_t d = key.find(delimiter, prefix.size());
      if (d != std::string::npos) group = key.substr(0, d + delimiter.size());
    }
    const std::string& item = group.empty() ? key : group;
    if (!after.empty() && item <= after) continue;
    if (!group.empty() && !page.common_prefixes.empty() && page.common_prefixes.back() == group)
      continue;
    if (count == max_keys) {
      page.truncated = true;
      break;
    }
    if (group.empty())
      page.contents.push_back(&o);
    else
      page.common_prefixes.push_back(group);
    page.last = item;
    ++count;
  }
  return page;
}

std::string EncodeToken(const std::string& marker) { return HexEncode(marker); }

bool DecodeToken(const std::string& token, std::string& marker) {
  if (token.size() % 2 != 0) return false;
  marker.clear();
  for (size_t i = 0; i < token.size(); i += 2) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = token[i + static_cast<size_t>(k)];
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        return false;
      v = v * 16 + d;
    }
    marker += static_cast<char>(v);
  }
  return true;
}

}  // namespace ecompipe::api::s3
