// The XML ecompipe reads, all on the same bytes: the S3 endpoint's request bodies
// (CompleteMultipartUpload, DeleteObjects), the S3 client's answers (a ListObjectsV2 page, an
// error document) and a bare XmlWalk at its limits. Hostile XML (DOCTYPE, entities, deep
// nesting, long text) must be refused, never expanded. Also the list continuation token, which a
// client hands back to the endpoint.
#include <cstdint>
#include <string>

#include "api/s3/list_objects.h"
#include "api/s3/s3_xml.h"
#include "common/xml.h"
#include "fuzz_util.h"
#include "storage/s3/internal/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  namespace api = ecompipe::api::s3;
  auto parts = api::ParseCompleteMultipartUpload(body);
  if (!parts.ok()) {
    FUZZ_CHECK(parts.error().http_status == 400, "complete: " + parts.error().code);
  }
  auto del = api::ParseDeleteObjects(body);
  if (del.ok()) {
    FUZZ_CHECK(del->keys.size() <= api::kMaxDeleteKeys, "more keys than S3 allows");
  } else {
    FUZZ_CHECK(del.error().http_status == 400, "delete: " + del.error().code);
  }
  auto page = ecompipe::storage::s3::ParseListObjectsV2(body);
  if (page.ok() && page->is_truncated) {
    FUZZ_CHECK(!page->next_continuation_token.empty(), "a truncated page without a token");
  }
  (void)ecompipe::storage::s3::ParseS3Error(body);

  size_t depth = 0;
  size_t max_depth = 0;
  ecompipe::XmlWalk walk;
  walk.max_depth = 4;
  walk.max_text_bytes = 256;
  walk.on_start = [&](ecompipe::XmlWalk& w, const std::string&) {
    max_depth = std::max(max_depth, ++depth);
    FUZZ_CHECK(w.path().size() == depth, "path() and the open elements disagree");
  };
  walk.on_end = [&](ecompipe::XmlWalk& w, const std::string&) {
    FUZZ_CHECK(w.text().size() <= 256, "text over max_text_bytes");
    --depth;
  };
  const std::string error = walk.Run(body);
  FUZZ_CHECK(max_depth <= 4, "an element deeper than max_depth was reported");
  FUZZ_CHECK(!error.empty() || depth == 0, "a document read whole with elements left open");

  std::string marker;
  if (api::DecodeToken(body, marker)) {
    FUZZ_CHECK(api::EncodeToken(marker) == body || body.empty(), "token does not round-trip");
  }
  return 0;
}
