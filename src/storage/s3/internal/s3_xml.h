// Parsers for the XML documents S3 answers with: a ListObjectsV2 page (ListBucketResult) and an
// error (<Error><Code>…</Code><Message>…</Message></Error>).
//
// Read with common/xml.h's XmlWalk: hostile input is refused, never expanded (a DOCTYPE,
// anything malformed or truncated, nesting deeper than a listing ever is, text fields longer
// than S3's limits are errors). Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::storage::s3 {

struct ListPage {
  std::vector<ObjectRef> objects;  // bucket left empty; the caller fills it in
  bool is_truncated = false;
  std::string next_continuation_token;  // set when is_truncated
};

// kCorruptInput naming what is wrong: malformed or truncated XML, a DOCTYPE, a root element
// other than ListBucketResult, a <Contents> without <Key>, a Size that is not a number, or
// IsTruncated=true without a NextContinuationToken (which would make paging loop forever).
Result<ListPage> ParseListObjectsV2(std::string_view xml);

struct S3Error {
  std::string code;  // "AccessDenied", "NoSuchBucket", …; empty when the body was not one
  std::string message;
};
// Best effort: an empty S3Error when `xml` is not an S3 error document.
S3Error ParseS3Error(std::string_view xml);

// "2026-11-26T14:03:35.123Z" (S3's LastModified) -> epoch milliseconds; kCorruptInput else.
Result<int64_t> ParseIso8601Millis(std::string_view text);

}  // namespace ecompipe::storage::s3
