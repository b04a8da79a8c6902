// One page of ListObjects (V1 and V2): S3's grouping of keys by delimiter into common
// prefixes, paging by max-keys, and resuming after a marker. Pure: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "api/s3/s3_bucket.h"

namespace ecompipe::api::s3 {

struct ListPage {
  std::vector<const ObjectInfo*> contents;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;  // the last key or common prefix on the page (the next marker)
};

// `objects` sorted by key, all starting with `prefix`. Keys and common prefixes that are not
// greater than `after` are skipped (a common prefix equal to `after` skips its whole group).
// At most `max_keys` entries (keys plus common prefixes); max_keys 0 gives an empty page that
// is not truncated.
ListPage BuildListPage(const std::vector<ObjectInfo>& objects, const std::string& prefix,
                       const std::string& delimiter, const std::string& after, int max_keys);

// Opaque continuation tokens: the marker, hex-encoded.
std::string EncodeToken(const std::string& marker);
bool DecodeToken(const std::string& token, std::string& marker);

}  // namespace ecompipe::api::s3
