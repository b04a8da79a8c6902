// The XML of the S3 API: the two request bodies the endpoint reads (CompleteMultipartUpload
// and DeleteObjects), read with common/xml.h's XmlWalk (which also escapes responses), and
// the error document. Malformed bodies get S3's 400 MalformedXML. Pure functions: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "api/s3/s3_bucket.h"
#include "api/s3/s3_error.h"
#include "common/xml.h"

namespace ecompipe::api::s3 {

inline constexpr size_t kMaxXmlBody = 2 << 20;
inline constexpr size_t kMaxDeleteKeys = 1000;

// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"…"</ETag></Part>…
// ETags lose their quotes; order is kept (the caller checks it).
S3Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(const std::string& body);

struct DeleteRequest {
  bool quiet = false;
  std::vector<std::string> keys;
};
// <Delete><Quiet>true</Quiet><Object><Key>…</Key></Object>…</Delete>; at most 1000 keys.
S3Result<DeleteRequest> ParseDeleteObjects(const std::string& body);

// The error document: <Error><Code/><Message/><Resource/><RequestId/></Error>.
std::string ErrorXml(const S3Error& error, const std::string& resource,
                     const std::string& request_id);

}  // namespace ecompipe::api::s3
