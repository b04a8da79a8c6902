#include "api/s3/s3_endpoint.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>

#include "api/http/internal/request_engine.h"
#include "api/s3/body_decoder.h"
#include "api/s3/list_objects.h"
#include "api/s3/s3_bucket.h"
#include "api/s3/s3_request.h"
#include "api/s3/s3_xml.h"
#include "api/s3/sigv4_verifier.h"
#include "common/aws_sigv4.h"
#include "common/ids.h"
#include "common/time_util.h"

namespace ecompipe::api::s3 {
namespace {

constexpr const char* kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr uint64_t kMaxPutBytes = 5ull << 30;  // S3's limit for one PutObject or part
constexpr size_t kReadBlock = 1 << 20;
// Descriptors kept for the pipeline beside the endpoint's connections: databases, the watcher,
// staged uploads, outgoing notifications.
constexpr int64_t kReservedFds = 256;

// Sub-resources of S3 that ecompipe does not implement: asked for, they answer 501 rather
// than being mistaken for a plain object or bucket request.
const char* const kUnsupportedSubresources[] = {"acl",
                                                "policy",
                                                "cors",
                                                "lifecycle",
                                                "tagging",
                                                "website",
                                                "logging",
                                                "notification",
                                                "replication",
                                                "encryption",
                                                "object-lock",
                                                "retention",
                                                "legal-hold",
                                                "torrent",
                                                "restore",
                                                "select",
                                                "accelerate",
                                                "analytics",
                                                "inventory",
                                                "metrics",
                                                "ownershipControls",
                                                "publicAccessBlock",
                                                "requestPayment",
                                                "intelligent-tiering",
                                                "attributes",
                                                "policyStatus",
                                                "versions",
                                                "uploads-list"};

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Quote(const std::string& etag) { return "\"" + etag + "\""; }

// ListObjects' encoding-type=url: keys as S3 encodes them ('/' kept).
std::string MaybeEncode(const std::string& s, bool url) { return url ? AwsUriEncode(s, true) : s; }

// Owns a file descriptor (shared by a response's content provider).
struct FileCloser {
  explicit FileCloser(int f) : fd(f) {}
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;
  ~FileCloser() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

// The acceptor's own answers (connection caps, heads too large or too slow) as S3 words them.
std::string S3ErrorResponse(int status, const std::string& reason, const std::string& code,
                            const std::string& message) {
  std::string id = NewHex(8);
  for (char& ch : id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                           ErrorXml(S3Error::Make(status, code, message), "", id);
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nx-amz-request-id: " + id + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

// Serves one request at a time per calling thread; shared state is the bucket and the
// verifier, both thread-safe.
class S3Endpoint::Handler {
 public:
  Handler(const S3EndpointConfig& config, S3Bucket& bucket, const SigV4Verifier& verifier,
          metrics::Metrics* metrics)
      : config_(config), bucket_(bucket), verifier_(verifier), metrics_(metrics) {}

  // Counts one answered request in the metrics, by the S3 operation it asked for.
  void Count(const httplib::Request& req, int status) {
    if (metrics_) metrics_->S3Request(OperationOf(MakeContext(req)), status);
  }

  // httplib's Expect: 100-continue hook: a request that will be refused is refused before the
  // client sends its body.
  int Expect100(const httplib::Request& req, httplib::Response& res) {
    Context c = MakeContext(req);
    S3Result<AuthContext> auth = verifier_.Verify(c.request, NowSeconds());
    if (!auth.ok()) {
      LogRefusal(c, auth.error());
      SendError(c, res, auth.error());
      // httplib sends this answer as it is: without a length the client would wait for the
      // connection to close.
      res.set_header("Content-Length", std::to_string(res.body.size()));
      res.set_header("Connection", "close");
      return res.status;
    }
    return 100;
  }

  // httplib answers a Range header it cannot parse with a bare 416 before any handler runs.
  // S3 ignores such a header and serves the whole object, so a GET or HEAD refused that way is
  // served here; every other error answer is left as it is.
  httplib::Server::HandlerResponse OnServerError(const httplib::Request& req,
                                                 httplib::Response& res) {
    const bool refused_range = res.status == 416 && !res.has_header("x-amz-request-id") &&
                               (req.method == "GET" || req.method == "HEAD");
    if (!refused_range) return httplib::Server::HandlerResponse::Unhandled;
    Serve(req, res, nullptr);
    return httplib::Server::HandlerResponse::Handled;
  }

  // Runs before cpp-httplib reads any body. It reads the body of a PUT, POST or DELETE that
  // has neither Content-Length nor chunked Transfer-Encoding until the client closes the
  // connection, so such a request is answered here at once: a PUT with 411
  // MissingContentLength (S3's answer), any other with no body, as HTTP/1.1 defines it.
  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res) {
    const std::string& m = req.method;
    if (m != "PUT" && m != "POST" && m != "DELETE" && m != "PATCH" && m != "PRI")
      return httplib::Server::HandlerResponse::Unhandled;
    auto refuse = [&](const S3Error& e) {
      Context c = MakeContext(req);
      LogRefusal(c, e);
      SendError(c, res, e);
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    };
    const std::string te = req.get_header_value("Transfer-Encoding");
    if (!te.empty()) {
      if (AsciiLower(te) == "chunked") return httplib::Server::HandlerResponse::Unhandled;
      return refuse(S3Error::Make(
          501, "NotImplemented", "Transfer-Encoding '" + te + "' is not supported (only chunked)"));
    }
    if (req.has_header("Content-Length")) {
      const std::string len = req.get_header_value("Content-Length");
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
      if (len.empty() || ec != std::errc() || p != len.data() + len.size())
        return refuse(S3Error::Make(400, "InvalidArgument", "Content-Length is not a number"));
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (m == "PUT")
      return refuse(S3Error::Make(411, "MissingContentLength",
                                  "You must provide the Content-Length HTTP header."));
    const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void Serve(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader) {
    // The endpoint answers Range itself (S3's rules and error bodies), so httplib must not
    // slice the response a second time.
    const_cast<httplib::Request&>(req).ranges.clear();
    Context c = MakeContext(req);
    c.reader = reader;
    S3Result<AuthContext> auth = verifier_.Verify(c.request, NowSeconds());
    if (!auth.ok()) return Fail(c, res, auth.error());
    c.auth = *auth;
    Dispatch(c, res);
    if (res.status >= 500) {
      spdlog::error("S3 request failed. method={} path={} status={} request_id={}", req.method,
                    http::EscapedForLog(req.path), res.status, c.request_id);
    } else {
      spdlog::debug("S3 request. method={} path={} status={} request_id={}", req.method, req.path,
                    res.status, c.request_id);
    }
  }

 private:
  struct Context {
    S3Request request;
    std::string request_id;
    std::string bucket;  // empty: the service (ListBuckets)
    std::string key;
    AuthContext auth;
    const httplib::ContentReader* reader = nullptr;
    bool body_consumed = false;
    std::string host;
  };

  Context MakeContext(const httplib::Request& req) const {
    Context c;
    c.request_id = NewHex(8);
    for (char& ch : c.request_id)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    c.request.method = req.method;
    c.request.path = req.path.empty() ? "/" : req.path;
    for (const auto& [k, v] : req.params) c.request.query.emplace_back(k, v);
    for (const auto& [k, v] : req.headers) c.request.headers.emplace_back(k, v);
    c.host = req.get_header_value("Host");
    // Virtual-host style: "<bucket>.<endpoint host>".
    const std::string& name = bucket_.name();
    const std::string& path = c.request.path;
    if (c.host.size() > name.size() + 1 && c.host.compare(0, name.size() + 1, name + ".") == 0) {
      c.bucket = name;
      c.key = path.size() > 1 ? path.substr(1) : "";
    } else if (path.size() > 1) {
      const size_t slash = path.find('/', 1);
      c.bucket = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
      c.key = slash == std::string::npos ? "" : path.substr(slash + 1);
    }
    return c;
  }

  // --- responses -----------------------------------------------------------------------

  void SendError(const Context& c, httplib::Response& res, const S3Error& e) const {
    res.status = e.http_status;
    res.set_header("x-amz-request-id", c.request_id);
    if (c.request.method != "HEAD")
      res.set_content(ErrorXml(e, c.request.path, c.request_id), "application/xml");
  }

  static void LogRefusal(const Context& c, const S3Error& e) {
    // Missing keys are routine (clients probe with HEAD before uploading).
    if (e.http_status == 404 && (c.request.method == "HEAD" || c.request.method == "GET")) return;
    spdlog::warn("S3 request refused. method={} path={} status={} code={} request_id={} message={}",
                 c.request.method, http::EscapedForLog(c.request.path), e.http_status, e.code,
                 c.request_id, http::EscapedForLog(e.message));
  }

  void Fail(Context& c, httplib::Response& res, const S3Error& e) {
    LogRefusal(c, e);
    SendError(c, res, e);
    // A body nobody read would be taken for the next request on this connection. It is not
    // read here (a slow client would hold this worker): the connection closes after the answer,
    // and the acceptor drops what the client still sends while it lingers.
    if (c.reader) res.set_header("Connection", "close");
  }

  void SendXml(const Context& c, httplib::Response& res, const std::string& xml,
               int status = 200) const {
    res.status = status;
    res.set_header("x-amz-request-id", c.request_id);
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + xml, "application/xml");
  }

  void SendEmpty(const Context& c, httplib::Response& res, int status) const {
    res.status = status;
    res.set_header("x-amz-request-id", c.request_id);
  }

  // --- routing -------------------------------------------------------------------------

  void Dispatch(Context& c, httplib::Response& res) {
    const std::string& m = c.request.method;
    for (const char* sub : kUnsupportedSubresources) {
      if (c.request.HasQuery(sub))
        return Fail(c, res,
                    S3Error::Make(501, "NotImplemented",
                                  std::string("ecompipe's S3 endpoint does not implement '?") +
                                      sub + "' (see docs/configuration.md, s3_endpoint)"));
    }
    if (c.bucket.empty()) {
      if (m == "GET") return ListBuckets(c, res);
      return Fail(c, res,
                  S3Error::Make(405, "MethodNotAllowed",
                                "The specified method is not allowed against this resource."));
    }
    if (c.bucket != bucket_.name()) {
      if (m == "PUT" && c.key.empty())
        return Fail(c, res,
                    S3Error::Make(403, "AccessDenied",
                                  "ecompipe serves one bucket, '" + bucket_.name() +
                                      "'; it cannot create '" + c.bucket + "'"));
      return Fail(c, res,
                  S3Error::Make(404, "NoSuchBucket",
                                "The specified bucket does not exist (this endpoint serves '" +
                                    bucket_.name() + "')"));
    }
    if (c.request.HasQuery("versionId") && c.request.Query("versionId") != "null")
      return Fail(c, res, S3Error::Make(501, "NotImplemented", "versioning is not supported"));
    if (c.key.empty()) {
      if (m == "GET" || m == "HEAD") {
        if (c.request.HasQuery("location")) return Location(c, res);
        if (c.request.HasQuery("versioning"))
          return SendXml(c, res,
                         std::string("<VersioningConfiguration xmlns=\"") + kXmlns + "\"/>");
        if (c.request.HasQuery("uploads"))
          return Fail(
              c, res,
              S3Error::Make(501, "NotImplemented", "ListMultipartUploads is not supported"));
        if (m == "HEAD") {
          res.set_header("x-amz-bucket-region", config_.region);
          return SendEmpty(c, res, 200);
        }
        return ListObjects(c, res);
      }
      if (m == "PUT" && c.request.query.empty())
        return Fail(c, res,
                    S3Error::Make(409, "BucketAlreadyOwnedByYou",
                                  "Your previous request to create the named bucket succeeded and "
                                  "you already own it."));
      if (m == "POST" && c.request.HasQuery("delete")) return DeleteObjects(c, res);
      return Fail(c, res,
                  S3Error::Make(501, "NotImplemented",
                                "this bucket operation is not supported by ecompipe"));
    }
    if (m == "GET" || m == "HEAD") {
      if (c.request.HasQuery("uploadId"))
        return Fail(c, res, S3Error::Make(501, "NotImplemented", "ListParts is not supported"));
      return GetObject(c, res, m == "HEAD");
    }
    if (m == "PUT") {
      if (c.request.HasQuery("uploadId") || c.request.HasQuery("partNumber"))
        return UploadPart(c, res);
      if (c.request.HasHeader("x-amz-copy-source")) return CopyObject(c, res);
      return PutObject(c, res);
    }
    if (m == "POST") {
      if (c.request.HasQuery("uploads")) return CreateUpload(c, res);
      if (c.request.HasQuery("uploadId")) return CompleteUpload(c, res);
      return Fail(c, res,
                  S3Error::Make(501, "NotImplemented", "this POST is not supported by ecompipe"));
    }
    if (m == "DELETE") {
      if (c.request.HasQuery("uploadId")) {
        if (S3Status e = bucket_.Abort(c.request.Query("uploadId"), c.key)) return Fail(c, res, *e);
        return SendEmpty(c, res, 204);
      }
      S3Status e = bucket_.Delete(c.key);
      if (e && e->http_status != 404) return Fail(c, res, *e);
      return SendEmpty(c, res, 204);  // S3 answers 204 whether or not the key existed
    }
    Fail(c, res,
         S3Error::Make(405, "MethodNotAllowed",
                       "The specified method is not allowed against this resource."));
  }

  // --- service and bucket --------------------------------------------------------------

  void ListBuckets(const Context& c, httplib::Response& res) {
    std::error_code ec;
    const auto root_time = std::filesystem::last_write_time(bucket_.store().root(), ec);
    int64_t ms = 0;
    if (!ec)
      ms = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::file_clock::to_sys(root_time).time_since_epoch())
               .count();
    SendXml(c, res,
            std::string("<ListAllMyBucketsResult xmlns=\"") + kXmlns +
                "\"><Owner><ID>ecompipe</ID><DisplayName>ecompipe</DisplayName></Owner>"
                "<Buckets><Bucket><Name>" +
                XmlEscape(bucket_.name()) + "</Name><CreationDate>" + IsoDate(ms) +
                "</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>");
  }

  void Location(const Context& c, httplib::Response& res) {
    // S3 reports us-east-1 as an empty constraint.
    const std::string region = config_.region == "us-east-1" ? "" : config_.region;
    SendXml(c, res,
            std::string("<LocationConstraint xmlns=\"") + kXmlns + "\">" + XmlEscape(region) +
                "</LocationConstraint>");
  }

  void ListObjects(Context& c, httplib::Response& res) {
    const S3Request& r = c.request;
    const bool v2 = r.Query("list-type") == "2";
    if (r.HasQuery("list-type") && !v2)
      return Fail(c, res, S3Error::Make(400, "InvalidArgument", "list-type must be 2"));
    const std::string prefix = r.Query("prefix"), delimiter = r.Query("delimiter");
    const std::string encoding = r.Query("encoding-type");
    if (!encoding.empty() && encoding != "url")
      return Fail(
          c, res,
          S3Error::Make(400, "InvalidArgument", "Invalid Encoding Method specified in Request"));
    const bool url = encoding == "url";
    int max_keys = 1000;
    if (r.HasQuery("max-keys")) {
      const std::string mk = r.Query("max-keys");
      int v = -1;
      auto [p, ec] = std::from_chars(mk.data(), mk.data() + mk.size(), v);
      if (mk.empty() || ec != std::errc() || p != mk.data() + mk.size() || v < 0)
        return Fail(
            c, res,
            S3Error::Make(400, "InvalidArgument", "max-keys must be a non-negative integer"));
      max_keys = std::min(v, 1000);
    }
    std::string after;
    const std::string token = r.Query("continuation-token");
    if (v2) {
      if (r.HasQuery("continuation-token")) {
        if (!DecodeToken(token, after) || token.empty())
          return Fail(c, res,
                      S3Error::Make(400, "InvalidArgument",
                                    "The continuation token provided is incorrect"));
      } else {
        after = r.Query("start-after");
      }
    } else {
      after = r.Query("marker");
    }
    S3Result<std::vector<ObjectInfo>> all = bucket_.List(prefix);
    if (!all.ok()) return Fail(c, res, all.error());
    ListPage page = BuildListPage(*all, prefix, delimiter, after, max_keys);

    std::string x = std::string("<ListBucketResult xmlns=\"") + kXmlns + "\"><Name>" +
                    XmlEscape(bucket_.name()) + "</Name><Prefix>" +
                    XmlEscape(MaybeEncode(prefix, url)) + "</Prefix>";
    if (v2) {
      x += "<KeyCount>" + std::to_string(page.contents.size() + page.common_prefixes.size()) +
           "</KeyCount>";
      if (r.HasQuery("continuation-token"))
        x += "<ContinuationToken>" + XmlEscape(token) + "</ContinuationToken>";
      if (page.truncated)
        x += "<NextContinuationToken>" + EncodeToken(page.last) + "</NextContinuationToken>";
      if (r.HasQuery("start-after"))
        x += "<StartAfter>" + XmlEscape(MaybeEncode(r.Query("start-after"), url)) + "</StartAfter>";
    } else {
      x += "<Marker>" + XmlEscape(MaybeEncode(after, url)) + "</Marker>";
      if (page.truncated)
        x += "<NextMarker>" + XmlEscape(MaybeEncode(page.last, url)) + "</NextMarker>";
    }
    x += "<MaxKeys>" + std::to_string(max_keys) + "</MaxKeys>";
    if (!delimiter.empty())
      x += "<Delimiter>" + XmlEscape(MaybeEncode(delimiter, url)) + "</Delimiter>";
    if (url) x += "<EncodingType>url</EncodingType>";
    x += std::string("<IsTruncated>") + (page.truncated ? "true" : "false") + "</IsTruncated>";
    for (const ObjectInfo* o : page.contents) {
      ObjectInfo info = bucket_.Describe(o->ref);
      x += "<Contents><Key>" + XmlEscape(MaybeEncode(info.ref.key, url)) + "</Key><LastModified>" +
           IsoDate(info.ref.mtime_ms) + "</LastModified><ETag>" + XmlEscape(Quote(info.s3_etag)) +
           "</ETag><Size>" + std::to_string(info.ref.size) + "</Size>";
      if (r.Query("fetch-owner") == "true" || !v2)
        x += "<Owner><ID>ecompipe</ID><DisplayName>ecompipe</DisplayName></Owner>";
      x += "<StorageClass>STANDARD</StorageClass></Contents>";
    }
    for (const std::string& p : page.common_prefixes)
      x += "<CommonPrefixes><Prefix>" + XmlEscape(MaybeEncode(p, url)) +
           "</Prefix></CommonPrefixes>";
    x += "</ListBucketResult>";
    SendXml(c, res, x);
  }

  void DeleteObjects(Context& c, httplib::Response& res) {
    S3Result<std::string> body = ReadSmallBody(c);
    if (!body.ok()) return Fail(c, res, body.error());
    S3Result<DeleteRequest> req = ParseDeleteObjects(*body);
    if (!req.ok()) return Fail(c, res, req.error());
    std::string x = std::string("<DeleteResult xmlns=\"") + kXmlns + "\">";
    for (const std::string& key : req->keys) {
      S3Status e = bucket_.Delete(key);
      if (e && e->http_status != 404) {
        x += "<Error><Key>" + XmlEscape(key) + "</Key><Code>" + XmlEscape(e->code) +
             "</Code><Message>" + XmlEscape(e->message) + "</Message></Error>";
      } else if (!req->quiet) {
        x += "<Deleted><Key>" + XmlEscape(key) + "</Key></Deleted>";
      }
    }
    x += "</DeleteResult>";
    SendXml(c, res, x);
  }

  // --- objects -------------------------------------------------------------------------

  void SetObjectHeaders(httplib::Response& res, const ObjectInfo& info) const {
    res.set_header("ETag", Quote(info.s3_etag));
    res.set_header("Last-Modified", HttpDate(info.ref.mtime_ms));
    res.set_header("Accept-Ranges", "bytes");
    for (const auto& [k, v] : info.meta.user) res.set_header("x-amz-meta-" + k, v);
  }

  void GetObject(Context& c, httplib::Response& res, bool head) {
    S3Result<ObjectInfo> info = bucket_.Head(c.key);
    if (!info.ok()) return Fail(c, res, info.error());
    int fd = -1;
    if (!head) {
      S3Result<storage::UniqueFd> opened = bucket_.OpenForRead(c.key);
      if (!opened.ok()) return Fail(c, res, opened.error());
      fd = opened->Release();
    }
    auto file = std::make_shared<FileCloser>(fd);
    const uint64_t size = info->ref.size;
    const std::string type =
        info->meta.content_type.empty() ? "binary/octet-stream" : info->meta.content_type;
    // If-None-Match / If-Match (ETag) and Range, as S3 answers them.
    const std::string if_none = c.request.Header("If-None-Match");
    const std::string if_match = c.request.Header("If-Match");
    const std::string quoted = Quote(info->s3_etag);
    if (!if_match.empty() && if_match != quoted && if_match != "*")
      return Fail(c, res,
                  S3Error::Make(412, "PreconditionFailed",
                                "At least one of the pre-conditions you specified did not hold"));
    if (!if_none.empty() && (if_none == quoted || if_none == "*")) {
      SetObjectHeaders(res, *info);
      return SendEmpty(c, res, 304);
    }
    ByteRange range{0, size == 0 ? 0 : size - 1};
    int status = 200;
    switch (ParseRange(c.request.Header("Range"), size, range)) {
      case RangeParse::kUnsatisfiable:
        res.set_header("Content-Range", "bytes */" + std::to_string(size));
        return Fail(c, res,
                    S3Error::Make(416, "InvalidRange", "The requested range is not satisfiable"));
      case RangeParse::kOk:
        status = 206;
        res.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                            std::to_string(range.last) + "/" +
                                            std::to_string(size));
        break;
      default:
        break;
    }
    SetObjectHeaders(res, *info);
    res.set_header("x-amz-request-id", c.request_id);
    res.status = status;
    const uint64_t length = size == 0 ? 0 : range.last - range.first + 1;
    if (length == 0) {
      res.set_content("", type);
      return;
    }
    const uint64_t base = range.first;
    res.set_content_provider(static_cast<size_t>(length), type,
                             [file, base](size_t offset, size_t want, httplib::DataSink& sink) {
                               std::vector<char> buf(std::min<size_t>(want, kReadBlock));
                               const ssize_t n = ::pread(file->fd, buf.data(), buf.size(),
                                                         static_cast<off_t>(base + offset));
                               if (n <= 0)
                                 return false;  // truncated underneath us: end the connection
                               return sink.write(buf.data(), static_cast<size_t>(n));
                             });
  }

  // The object's Content-Type and user metadata. As S3, at most 2 KB of user metadata (the
  // bytes of each name after "x-amz-meta-" and of each value): 400 MetadataTooLarge beyond.
  static S3Result<ObjectMeta> MetaFromHeaders(const S3Request& r) {
    constexpr size_t kMaxUserMetadataBytes = 2048;
    ObjectMeta meta;
    meta.content_type = r.Header("Content-Type");
    size_t bytes = 0;
    for (const auto& [k, v] : r.headers) {
      const std::string name = AsciiLower(k);
      if (name.rfind("x-amz-meta-", 0) != 0) continue;
      bytes += name.size() - 11 + v.size();
      meta.user[name.substr(11)] = v;
    }
    if (bytes > kMaxUserMetadataBytes)
      return S3Error::Make(400, "MetadataTooLarge",
                           "Your metadata headers exceed the maximum allowed metadata size (" +
                               std::to_string(bytes) +
                               " bytes of x-amz-meta-* names and values; "
                               "at most " +
                               std::to_string(kMaxUserMetadataBytes) + ")");
    return meta;
  }

  // Checks the declared body size before any byte is read.
  S3Status CheckBodySize(const S3Request& r) const {
    const std::string len = r.Header("Content-Length");
    if (len.empty()) {
      if (AsciiLower(r.Header("Transfer-Encoding")).find("chunked") != std::string::npos)
        return std::nullopt;
      return S3Error::Make(411, "MissingContentLength",
                           "You must provide the Content-Length HTTP header.");
    }
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (ec != std::errc() || p != len.data() + len.size())
      return S3Error::Make(400, "InvalidArgument", "Content-Length is not a number");
    if (n > kMaxPutBytes + (64ull << 20))
      return S3Error::Make(
          400, "EntityTooLarge",
          "Your proposed upload exceeds the maximum allowed size (5 GiB per PUT; use multipart)");
    return std::nullopt;
  }

  // Streams the body through a BodyDecoder into `sink`. The returned Status fails when the
  // body was refused; `refusal` then says why in S3's words.
  S3Bucket::Producer BodyProducer(Context& c, BodyDecoder& decoder, S3Status& refusal) {
    return [this, &c, &decoder,
            &refusal](const storage::LocalFolderStore::ChunkSink& sink) -> Status {
      c.body_consumed = true;
      Status sink_status;
      const bool complete = (*c.reader)([&](const char* data, size_t n) {
        if (metrics_) metrics_->S3BytesReceived(n);
        refusal = decoder.Feed(data, n, [&](const char* d, size_t m) -> S3Status {
          sink_status = sink(d, m);
          if (!sink_status.ok()) return FromStatus(sink_status);
          return std::nullopt;
        });
        return !refusal;
      });
      if (!sink_status.ok()) return sink_status;
      if (!refusal && !complete)
        refusal = S3Error::Make(
            400, "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header");
      if (!refusal) refusal = decoder.Finish();
      if (refusal) return Status::InvalidArgument("request body refused: " + refusal->code);
      return Status::Ok();
    };
  }

  void PutObject(Context& c, httplib::Response& res) {
    if (S3Status e = CheckBodySize(c.request)) return Fail(c, res, *e);
    if (S3Status e = S3Bucket::CheckKey(c.key)) return Fail(c, res, *e);
    S3Result<ObjectMeta> meta = MetaFromHeaders(c.request);
    if (!meta.ok()) return Fail(c, res, meta.error());
    S3Result<std::unique_ptr<BodyDecoder>> decoder = BodyDecoder::Create(c.request, c.auth);
    if (!decoder.ok()) return Fail(c, res, decoder.error());
    S3Status refusal;
    S3Result<ObjectInfo> info = bucket_.Put(c.key, BodyProducer(c, **decoder, refusal), *meta);
    if (refusal) return Fail(c, res, *refusal);
    if (!info.ok()) return Fail(c, res, info.error());
    spdlog::info("Object uploaded through the S3 endpoint. key={} bytes={} etag={} access_key={}",
                 c.key, info->ref.size, info->s3_etag, c.auth.access_key_id);
    res.set_header("ETag", Quote(info->s3_etag));
    SendEmpty(c, res, 200);
  }

  void UploadPart(Context& c, httplib::Response& res) {
    if (c.request.HasHeader("x-amz-copy-source"))
      return Fail(c, res, S3Error::Make(501, "NotImplemented", "UploadPartCopy is not supported"));
    if (S3Status e = CheckBodySize(c.request)) return Fail(c, res, *e);
    const std::string number_text = c.request.Query("partNumber");
    int number = 0;
    auto [p, ec] =
        std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
    if (number_text.empty() || ec != std::errc() || p != number_text.data() + number_text.size() ||
        number < 1 || number > kMaxPartNumber)
      return Fail(c, res,
                  S3Error::Make(400, "InvalidArgument",
                                "Part number must be an integer between 1 and 10000, inclusive"));
    S3Result<std::unique_ptr<BodyDecoder>> decoder = BodyDecoder::Create(c.request, c.auth);
    if (!decoder.ok()) return Fail(c, res, decoder.error());
    S3Status refusal;
    S3Result<std::string> etag = bucket_.PutPart(c.request.Query("uploadId"), c.key, number,
                                                 BodyProducer(c, **decoder, refusal));
    if (refusal) return Fail(c, res, *refusal);
    if (!etag.ok()) return Fail(c, res, etag.error());
    res.set_header("ETag", Quote(*etag));
    SendEmpty(c, res, 200);
  }

  void CreateUpload(Context& c, httplib::Response& res) {
    S3Result<ObjectMeta> meta = MetaFromHeaders(c.request);
    if (!meta.ok()) return Fail(c, res, meta.error());
    S3Result<std::string> id = bucket_.CreateUpload(c.key, *meta);
    if (!id.ok()) return Fail(c, res, id.error());
    SendXml(c, res,
            std::string("<InitiateMultipartUploadResult xmlns=\"") + kXmlns + "\"><Bucket>" +
                XmlEscape(bucket_.name()) + "</Bucket><Key>" + XmlEscape(c.key) +
                "</Key><UploadId>" + *id + "</UploadId></InitiateMultipartUploadResult>");
  }

  void CompleteUpload(Context& c, httplib::Response& res) {
    S3Result<std::string> body = ReadSmallBody(c);
    if (!body.ok()) return Fail(c, res, body.error());
    S3Result<std::vector<CompletedPart>> parts = ParseCompleteMultipartUpload(*body);
    if (!parts.ok()) return Fail(c, res, parts.error());
    S3Result<ObjectInfo> info = bucket_.Complete(c.request.Query("uploadId"), c.key, *parts);
    if (!info.ok()) return Fail(c, res, info.error());
    spdlog::info(
        "Multipart upload completed through the S3 endpoint. key={} bytes={} parts={} etag={}",
        c.key, info->ref.size, parts->size(), info->s3_etag);
    SendXml(c, res,
            std::string("<CompleteMultipartUploadResult xmlns=\"") + kXmlns +
                "\"><Location>http://" + XmlEscape(c.host) + "/" + XmlEscape(bucket_.name()) + "/" +
                XmlEscape(AwsUriEncode(c.key, true)) + "</Location><Bucket>" +
                XmlEscape(bucket_.name()) + "</Bucket><Key>" + XmlEscape(c.key) + "</Key><ETag>" +
                XmlEscape(Quote(info->s3_etag)) + "</ETag></CompleteMultipartUploadResult>");
  }

  void CopyObject(Context& c, httplib::Response& res) {
    // httplib 0.11 has already percent-decoded the header value (sigv4_verifier.cc).
    std::string source = c.request.Header("x-amz-copy-source");
    const size_t q = source.rfind("?versionId=");  // a decoded key may itself hold a '?'
    if (q != std::string::npos) {
      if (source.substr(q) != "?versionId=null")
        return Fail(
            c, res,
            S3Error::Make(501, "NotImplemented", "versioned copy sources are not supported"));
      source.resize(q);
    }
    if (!source.empty() && source[0] == '/') source.erase(0, 1);
    const size_t slash = source.find('/');
    if (slash == std::string::npos || source.substr(0, slash) != bucket_.name())
      return Fail(
          c, res,
          S3Error::Make(400, "InvalidArgument",
                        "the copy source must be an object of bucket '" + bucket_.name() + "'"));
    const std::string source_key = source.substr(slash + 1);
    if (S3Status e = S3Bucket::CheckKey(c.key)) return Fail(c, res, *e);
    S3Result<ObjectInfo> from = bucket_.Head(source_key);
    if (!from.ok()) return Fail(c, res, from.error());
    ObjectMeta meta = from->meta;
    if (AsciiLower(c.request.Header("x-amz-metadata-directive")) == "replace") {
      S3Result<ObjectMeta> replaced = MetaFromHeaders(c.request);
      if (!replaced.ok()) return Fail(c, res, replaced.error());
      meta = *replaced;
    } else if (source_key == c.key)
      return Fail(
          c, res,
          S3Error::Make(
              400, "InvalidRequest",
              "This copy request is illegal because it is trying to copy an object to itself "
              "without changing the object's metadata."));
    S3Result<storage::UniqueFd> source_file = bucket_.OpenForRead(source_key);
    if (!source_file.ok()) return Fail(c, res, source_file.error());
    S3Result<ObjectInfo> info = bucket_.Put(
        c.key,
        [&](const storage::LocalFolderStore::ChunkSink& sink) -> Status {
          const int fd = source_file->get();
          std::vector<char> buf(kReadBlock);
          for (;;) {
            const ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Status::IoError("cannot read the copy source '" + source_key + "'");
            if (n == 0) return Status::Ok();
            EP_RETURN_IF_ERROR(sink(buf.data(), static_cast<size_t>(n)));
          }
        },
        meta);
    if (!info.ok()) return Fail(c, res, info.error());
    SendXml(c, res,
            std::string("<CopyObjectResult xmlns=\"") + kXmlns + "\"><LastModified>" +
                IsoDate(info->ref.mtime_ms) + "</LastModified><ETag>" +
                XmlEscape(Quote(info->s3_etag)) + "</ETag></CopyObjectResult>");
  }

  // Reads an XML request body (at most kMaxXmlBody bytes).
  S3Result<std::string> ReadSmallBody(Context& c) {
    if (!c.reader) return std::string();
    c.body_consumed = true;
    std::string body;
    bool too_big = false;
    const bool complete = (*c.reader)([&](const char* data, size_t n) {
      if (metrics_) metrics_->S3BytesReceived(n);
      if (body.size() + n > kMaxXmlBody) {
        too_big = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (too_big) return S3Error::Make(400, "MalformedXML", "The XML body is larger than 2 MiB.");
    if (!complete) return S3Error::Make(400, "IncompleteBody", "The request body ended early.");
    return body;
  }

  // The S3 operation a request asks for, as AWS names it, by the routing of Dispatch();
  // "Unsupported" for what it answers 501 or 405. A fixed set: it labels metrics.
  static std::string_view OperationOf(const Context& c) {
    const std::string& m = c.request.method;
    const S3Request& q = c.request;
    for (const char* sub : kUnsupportedSubresources)
      if (q.HasQuery(sub)) return "Unsupported";
    if (c.bucket.empty()) return m == "GET" ? "ListBuckets" : "Unsupported";
    if (c.key.empty()) {
      if (m == "GET" || m == "HEAD") {
        if (q.HasQuery("location")) return "GetBucketLocation";
        if (q.HasQuery("versioning")) return "GetBucketVersioning";
        if (q.HasQuery("uploads")) return "Unsupported";
        if (m == "HEAD") return "HeadBucket";
        return q.Query("list-type") == "2" ? "ListObjectsV2" : "ListObjects";
      }
      if (m == "PUT" && q.query.empty()) return "CreateBucket";
      if (m == "POST" && q.HasQuery("delete")) return "DeleteObjects";
      return "Unsupported";
    }
    if (m == "GET" || m == "HEAD") {
      if (q.HasQuery("uploadId")) return "Unsupported";
      return m == "HEAD" ? "HeadObject" : "GetObject";
    }
    if (m == "PUT") {
      if (q.HasQuery("uploadId") || q.HasQuery("partNumber")) return "UploadPart";
      return q.HasHeader("x-amz-copy-source") ? "CopyObject" : "PutObject";
    }
    if (m == "POST") {
      if (q.HasQuery("uploads")) return "CreateMultipartUpload";
      if (q.HasQuery("uploadId")) return "CompleteMultipartUpload";
      return "Unsupported";
    }
    if (m == "DELETE") return q.HasQuery("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    return "Unsupported";
  }

  const S3EndpointConfig& config_;
  S3Bucket& bucket_;
  const SigV4Verifier& verifier_;
  metrics::Metrics* metrics_;  // null: not counted
};

class S3Endpoint::HttpServer final : public http::RequestEngine {
 public:
  // cpp-httplib stops a response's content provider (a GetObject body) as soon as its listening
  // socket is invalid, which it is while its own listen() never ran: mark it valid while serving.
  // The value is only compared, never used as a descriptor (listen() and stop() are not called).
  void SetServing(bool on) { svr_sock_ = on ? 0 : INVALID_SOCKET; }
};

S3Endpoint::S3Endpoint(const S3EndpointConfig& config, std::unique_ptr<S3Bucket> bucket,
                       std::unique_ptr<SigV4Verifier> verifier)
    : config_(config), bucket_(std::move(bucket)), verifier_(std::move(verifier)) {}

S3Endpoint::~S3Endpoint() { Stop(); }

Result<std::unique_ptr<S3Endpoint>> S3Endpoint::Start(const S3EndpointConfig& config,
                                                      storage::LocalFolderStore& store,
                                                      metrics::Metrics* metrics) {
  if (config.access_keys.empty())
    return Status::InvalidArgument(
        "s3_endpoint: no access_keys configured; every request must be signed");
  std::map<std::string, std::string> keys;
  for (size_t i = 0; i < config.access_keys.size(); ++i) {
    const S3AccessKey& k = config.access_keys[i];
    std::string secret = k.secret;
    if (!k.secret_env.empty()) {
      const char* v = std::getenv(k.secret_env.c_str());
      if (!v || !*v)
        return Status::InvalidArgument("s3_endpoint.access_keys[" + std::to_string(i) +
                                       "]: environment variable " + k.secret_env + " is not set");
      secret = v;
    }
    keys[k.id] = secret;
  }
  EP_ASSIGN_OR_RETURN(std::unique_ptr<S3Bucket> bucket, S3Bucket::Open(store));
  auto verifier = std::make_unique<SigV4Verifier>(std::move(keys), config.region,
                                                  config.max_clock_skew_seconds);
  std::unique_ptr<S3Endpoint> ep(new S3Endpoint(config, std::move(bucket), std::move(verifier)));
  ConnectionLimits& limits = ep->config_.limits;
  rlimit fds{};
  if (::getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur != RLIM_INFINITY &&
      static_cast<int64_t>(limits.max_connections) + kReservedFds >
          static_cast<int64_t>(fds.rlim_cur)) {
    const int clipped =
        static_cast<int>(std::max<int64_t>(16, static_cast<int64_t>(fds.rlim_cur) - kReservedFds));
    spdlog::warn(
        "The open-file limit is too low for s3_endpoint.max_connections; lowered. configured={} "
        "now={} open_file_limit={} (raise it with ulimit -n or LimitNOFILE=)",
        limits.max_connections, clipped, static_cast<uint64_t>(fds.rlim_cur));
    limits.max_connections = clipped;
  }
  ep->handler_ = std::make_unique<Handler>(ep->config_, *ep->bucket_, *ep->verifier_, metrics);
  ep->server_ = std::make_unique<HttpServer>();
  HttpServer& srv = *ep->server_;
  Handler* h = ep->handler_.get();
  // Only what the Keep-Alive answer header says; the acceptor closes idle connections.
  srv.set_keep_alive_timeout(
      std::max<time_t>(1, static_cast<time_t>(limits.idle_timeout_ms / 1000)));
  srv.set_payload_max_length(static_cast<size_t>(kMaxPutBytes + (64ull << 20)));
  srv.set_expect_100_continue_handler(
      [h](const httplib::Request& req, httplib::Response& res) { return h->Expect100(req, res); });
  srv.set_pre_routing_handler(
      [h](const httplib::Request& req, httplib::Response& res) { return h->PreRoute(req, res); });
  // Runs for every answer written (refusals before a handler included), with its final status.
  srv.OnAnswered([h](const httplib::Request& req, httplib::Response& res) {
    h->Count(req, res.status);
  });
  auto plain = [h](const httplib::Request& req, httplib::Response& res) {
    h->Serve(req, res, nullptr);
  };
  auto with_body = [h](const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) { h->Serve(req, res, &reader); };
  srv.set_error_handler(httplib::Server::HandlerWithResponse(
      [h](const httplib::Request& req, httplib::Response& res) {
        return h->OnServerError(req, res);
      }));
  // Every path, line feeds included ('.' stops at one, and an unrouted request was answered
  // with an empty 404 and no log line): the handler answers a bad key itself.
  srv.Get(R"([\s\S]*)", plain);
  srv.Delete(R"([\s\S]*)", plain);
  srv.Put(R"([\s\S]*)", with_body);
  srv.Post(R"([\s\S]*)", with_body);
  srv.SetServing(true);
  S3Endpoint* self = ep.get();
  Result<std::unique_ptr<ConnectionAcceptor>> acceptor = ConnectionAcceptor::Start(
      config.host, config.port, limits,
      [self](AcceptedConnection& c) {
        return self->server_->ServeOne(c, self->config_.limits.body_timeout_ms);
      },
      {.name = "S3", .error = S3ErrorResponse});
  if (!acceptor.ok())
    return Status::Unavailable(
        "s3_endpoint: " + acceptor.status().message() +
        " (in use, or not an address of this machine); change s3_endpoint.listen");
  ep->acceptor_ = std::move(*acceptor);
  ep->port_ = ep->acceptor_->port();
  ep->Maintain(NowMillis());  // uploads abandoned while ecompipe was down
  spdlog::info(
      "S3 endpoint listening. address={}:{} bucket={} region={} workers={} max_connections={} "
      "max_connections_per_address={} header_timeout_ms={} body_timeout_ms={} idle_timeout_ms={}",
      config.host, ep->port_, ep->bucket_->name(), config.region, limits.workers,
      limits.max_connections, limits.max_connections_per_address, limits.header_timeout_ms,
      limits.body_timeout_ms, limits.idle_timeout_ms);
  return ep;
}

int S3Endpoint::Maintain(int64_t now_ms) {
  const int64_t every = std::min<int64_t>(3'600'000, config_.multipart_expiry_ms / 2);
  if (last_expiry_check_ms_ != 0 && now_ms - last_expiry_check_ms_ < every) return 0;
  last_expiry_check_ms_ = now_ms;
  Result<int> expired = bucket_->ExpireUploads(now_ms, config_.multipart_expiry_ms);
  if (!expired.ok()) {
    spdlog::warn("Cannot check for abandoned multipart uploads. error={}",
                 expired.status().ToString());
    return 0;
  }
  return *expired;
}

void S3Endpoint::Stop() {
  if (server_) server_->SetServing(false);  // content providers in flight stop
  if (acceptor_) acceptor_->Stop();
}

}  // namespace ecompipe::api::s3
