#include "api/s3/s3_xml.h"

#include <charconv>
#include <optional>

#include "common/xml.h"

namespace ecompipe::api::s3 {
namespace {

S3Error MalformedXml(const std::string& why) {
  return S3Error::Make(400, "MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema (" +
                           why + ").");
}

// Parses `body` with `w`; MalformedXML naming why when it is not a well-formed document whose
// root element is `root` (a callback's Fail() reason included).
S3Status Walk(XmlWalk& w, const std::string& body, const std::string& root) {
  if (body.size() > kMaxXmlBody) return MalformedXml("the body is larger than 2 MiB");
  std::string root_seen;
  auto on_start = std::move(w.on_start);
  w.on_start = [&](XmlWalk& walk, const std::string& name) {
    if (walk.path().size() == 1) root_seen = name;
    if (root_seen == root && on_start) on_start(walk, name);
  };
  auto on_end = std::move(w.on_end);
  w.on_end = [&](XmlWalk& walk, const std::string& name) {
    if (root_seen == root && on_end) on_end(walk, name);
  };
  const std::string error = w.Run(body);
  if (!error.empty()) return MalformedXml(error);
  if (root_seen != root) return MalformedXml("the root element must be " + root);
  return std::nullopt;
}

}  // namespace

S3Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(const std::string& body) {
  std::vector<CompletedPart> parts;
  // Each Part's first PartNumber and ETag.
  std::optional<std::string> number, etag;
  XmlWalk w;
  w.on_start = [&](XmlWalk& walk, const std::string& name) {
    if (walk.path().size() == 2 && name == "Part") {
      number.reset();
      etag.reset();
    }
  };
  w.on_end = [&](XmlWalk& walk, const std::string& name) {
    const size_t depth = walk.path().size();
    if (depth == 3 && walk.path()[1] == "Part") {
      if (name == "PartNumber" && !number) number = walk.text();
      if (name == "ETag" && !etag) etag = walk.text();
      return;
    }
    if (depth != 2 || name != "Part") return;
    if (parts.size() >= static_cast<size_t>(kMaxPartNumber))
      return walk.Fail("more than 10000 parts");
    CompletedPart part;
    const std::string n = number.value_or("");
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), part.number);
    if (n.empty() || ec != std::errc() || end != n.data() + n.size())
      return walk.Fail("a Part has no valid PartNumber");
    part.etag = etag.value_or("");
    if (part.etag.size() >= 2 && part.etag.front() == '"' && part.etag.back() == '"')
      part.etag = part.etag.substr(1, part.etag.size() - 2);
    if (part.etag.empty()) return walk.Fail("a Part has no ETag");
    parts.push_back(std::move(part));
  };
  if (S3Status bad = Walk(w, body, "CompleteMultipartUpload")) return *bad;
  if (parts.empty()) return MalformedXml("no Part element");
  return parts;
}

S3Result<DeleteRequest> ParseDeleteObjects(const std::string& body) {
  DeleteRequest req;
  std::optional<std::string> quiet, key;  // the first Quiet; the current Object's first Key
  XmlWalk w;
  w.on_start = [&](XmlWalk& walk, const std::string& name) {
    if (walk.path().size() == 2 && name == "Object") key.reset();
  };
  w.on_end = [&](XmlWalk& walk, const std::string& name) {
    const size_t depth = walk.path().size();
    if (depth == 3 && walk.path()[1] == "Object") {
      if (name == "Key" && !key) key = walk.text();
      return;
    }
    if (depth != 2) return;
    if (name == "Quiet" && !quiet) quiet = walk.text();
    if (name != "Object") return;
    if (req.keys.size() >= kMaxDeleteKeys) return walk.Fail("more than 1000 objects");
    if (!key) return walk.Fail("an Object has no Key");
    req.keys.push_back(std::move(*key));
  };
  if (S3Status bad = Walk(w, body, "Delete")) return *bad;
  req.quiet = quiet.value_or("") == "true";
  if (req.keys.empty()) return MalformedXml("no Object element");
  return req;
}

std::string ErrorXml(const S3Error& error, const std::string& resource,
                     const std::string& request_id) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                  XmlEscape(error.code) + "</Code><Message>" + XmlEscape(error.message) +
                  "</Message>";
  if (!error.region.empty()) x += "<Region>" + XmlEscape(error.region) + "</Region>";
  x += "<Resource>" + XmlEscape(resource) + "</Resource><RequestId>" + request_id +
       "</RequestId></Error>";
  return x;
}

}  // namespace ecompipe::api::s3
