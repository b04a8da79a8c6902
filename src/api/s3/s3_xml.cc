#include "api/s3/s3_xml.h"

#include <tinyxml2.h>

#include <charconv>
#include <cstring>

namespace ecompipe::api::s3 {
namespace {

S3Error MalformedXml(const std::string& why) {
  return S3Error::Make(400, "MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema (" +
                           why + ").");
}

std::string Text(const tinyxml2::XMLElement* e) {
  const char* t = e ? e->GetText() : nullptr;
  return t ? t : "";
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "&#" + std::to_string(c) + ";";  // XML 1.1 style; keys never hold these
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

S3Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(const std::string& body) {
  if (body.size() > kMaxXmlBody) return MalformedXml("the body is larger than 2 MiB");
  tinyxml2::XMLDocument doc;
  if (doc.Parse(body.data(), body.size()) != tinyxml2::XML_SUCCESS)
    return MalformedXml(doc.ErrorStr() ? doc.ErrorStr() : "parse error");
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || std::strcmp(root->Name(), "CompleteMultipartUpload") != 0)
    return MalformedXml("the root element must be CompleteMultipartUpload");
  std::vector<CompletedPart> parts;
  for (const auto* p = root->FirstChildElement("Part"); p; p = p->NextSiblingElement("Part")) {
    if (parts.size() >= static_cast<size_t>(kMaxPartNumber))
      return MalformedXml("more than 10000 parts");
    CompletedPart part;
    const std::string number = Text(p->FirstChildElement("PartNumber"));
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), part.number);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size())
      return MalformedXml("a Part has no valid PartNumber");
    part.etag = Text(p->FirstChildElement("ETag"));
    if (part.etag.size() >= 2 && part.etag.front() == '"' && part.etag.back() == '"')
      part.etag = part.etag.substr(1, part.etag.size() - 2);
    if (part.etag.empty()) return MalformedXml("a Part has no ETag");
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return MalformedXml("no Part element");
  return parts;
}

S3Result<DeleteRequest> ParseDeleteObjects(const std::string& body) {
  if (body.size() > kMaxXmlBody) return MalformedXml("the body is larger than 2 MiB");
  tinyxml2::XMLDocument doc;
  if (doc.Parse(body.data(), body.size()) != tinyxml2::XML_SUCCESS)
    return MalformedXml(doc.ErrorStr() ? doc.ErrorStr() : "parse error");
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || std::strcmp(root->Name(), "Delete") != 0)
    return MalformedXml("the root element must be Delete");
  DeleteRequest req;
  req.quiet = Text(root->FirstChildElement("Quiet")) == "true";
  for (const auto* o = root->FirstChildElement("Object"); o; o = o->NextSiblingElement("Object")) {
    if (req.keys.size() >= kMaxDeleteKeys) return MalformedXml("more than 1000 objects");
    const auto* k = o->FirstChildElement("Key");
    if (!k) return MalformedXml("an Object has no Key");
    req.keys.push_back(Text(k));
  }
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
