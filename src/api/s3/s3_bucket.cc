#include "api/s3/s3_bucket.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/s3/internal/digest.h"
#include "common/aws_sigv4.h"
#include "common/ids.h"
#include "common/json.h"

namespace ecompipe::api::s3 {
namespace fs = std::filesystem;
namespace {

constexpr size_t kBlock = 1 << 20;

S3Error NoSuchUpload() {
  return S3Error::Make(404, "NoSuchUpload",
                       "The specified multipart upload does not exist. The upload ID may be "
                       "invalid, or the upload may have been aborted or completed.");
}

bool IsHexId(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string PartPrefix(int number) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "part-%05d-", number);
  return buf;
}

std::string ReadSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` to `path` through a temporary name and a rename.
bool WriteSmallFile(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp-" + NewHex(6);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << text;
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

Json MetaJson(const ObjectMeta& meta) {
  Json j = Json::object();
  j["content_type"] = meta.content_type;
  j["user"] = meta.user;
  return j;
}

ObjectMeta MetaFromJson(const Json& j) {
  ObjectMeta meta;
  if (j.contains("content_type") && j["content_type"].is_string()) meta.content_type = j["content_type"];
  if (j.contains("user") && j["user"].is_object())
    for (const auto& [k, v] : j["user"].items())
      if (v.is_string()) meta.user[k] = v.get<std::string>();
  return meta;
}

std::string HexToBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

}  // namespace

S3Error FromStatus(const Status& status, const std::string& not_found_code) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return S3Error::Make(404, not_found_code,
                           not_found_code == "NoSuchKey" ? "The specified key does not exist."
                                                         : status.message());
    case StatusCode::kInvalidArgument:
      return S3Error::Make(400, "InvalidArgument", status.ToString());
    case StatusCode::kUnavailable:
      return S3Error::Make(503, "ServiceUnavailable", status.ToString());
    default:
      return S3Error::Make(500, "InternalError", status.ToString());
  }
}

S3Bucket::S3Bucket(storage::LocalFolderStore& store)
    : store_(store),
      meta_dir_(store.root() / storage::kStagingFolderName / "s3-meta"),
      uploads_dir_(store.root() / storage::kStagingFolderName / "s3-uploads") {}

Result<std::unique_ptr<S3Bucket>> S3Bucket::Open(storage::LocalFolderStore& store) {
  std::unique_ptr<S3Bucket> b(new S3Bucket(store));
  std::error_code ec;
  fs::create_directories(b->meta_dir_, ec);
  if (!ec) fs::create_directories(b->uploads_dir_, ec);
  if (ec) return Status::IoError("cannot create the S3 endpoint's folders under " +
                                 b->meta_dir_.parent_path().string() + ": " + ec.message());
  return b;
}

S3Status S3Bucket::CheckKey(const std::string& key) {
  Status s = storage::LocalFolderStore::CheckObjectKey(key);
  if (s.ok()) return std::nullopt;
  return S3Error::Make(400, "InvalidArgument",
                       s.message() + " (ecompipe stores objects as files: keys need non-empty "
                                     "segments, no '.' or '..', no leading or trailing '/')");
}

fs::path S3Bucket::MetaPath(const std::string& key) const { return meta_dir_ / Sha256Hex(key); }

fs::path S3Bucket::UploadDir(const std::string& upload_id) const { return uploads_dir_ / upload_id; }

ObjectInfo S3Bucket::Describe(const storage::ObjectRef& ref) const {
  ObjectInfo info;
  info.ref = ref;
  info.s3_etag = ref.etag;
  const std::string text = ReadSmallFile(MetaPath(ref.key));
  if (text.empty()) return info;
  Result<Json> j = ParseJson(text);
  if (!j.ok() || !j->is_object()) return info;
  // The side file describes this content only while its ETag still matches: the store's, which
  // is the multipart ETag recorded at CompleteMultipartUpload ("md5" in side files of objects
  // completed before the store recorded it).
  if (j->value("key", "") != ref.key || (j->value("etag", "") != ref.etag && j->value("md5", "") != ref.etag))
    return info;
  info.s3_etag = j->value("etag", ref.etag);
  info.meta = MetaFromJson(*j);
  return info;
}

void S3Bucket::WriteMeta(const ObjectInfo& info) const {
  Json j = MetaJson(info.meta);
  j["key"] = info.ref.key;
  j["md5"] = info.ref.etag;
  j["etag"] = info.s3_etag;
  // Losing it only costs the "-N" ETag and the metadata: the object itself is in place.
  (void)WriteSmallFile(MetaPath(info.ref.key), j.dump());
}

S3Result<ObjectInfo> S3Bucket::Head(const std::string& key) const {
  if (!storage::LocalFolderStore::CheckObjectKey(key).ok())
    return S3Error::Make(404, "NoSuchKey", "The specified key does not exist.");
  Result<storage::ObjectRef> ref = store_.Head(key);
  if (!ref.ok()) return FromStatus(ref.status());
  return Describe(*ref);
}

S3Result<std::vector<ObjectInfo>> S3Bucket::List(const std::string& prefix) const {
  // The folder store walks folders: a prefix whose folder part is not a valid key path names
  // no object at all.
  const size_t slash = prefix.rfind('/');
  if (slash != std::string::npos && !storage::ValidateKey(prefix.substr(0, slash)).ok())
    return std::vector<ObjectInfo>{};
  Result<std::vector<storage::ObjectRef>> refs = store_.List(prefix);
  if (!refs.ok()) return FromStatus(refs.status());
  std::vector<ObjectInfo> out;
  out.reserve(refs->size());
  for (auto& ref : *refs) {
    ObjectInfo info;
    info.s3_etag = ref.etag;
    info.ref = std::move(ref);
    out.push_back(std::move(info));
  }
  return out;
}

S3Result<ObjectInfo> S3Bucket::Put(const std::string& key, const Producer& produce,
                                   const ObjectMeta& meta) {
  if (S3Status e = CheckKey(key)) return *e;
  Result<storage::ObjectRef> ref = store_.PutStream(key, produce);
  if (!ref.ok()) return FromStatus(ref.status());
  ObjectInfo info;
  info.ref = *ref;
  info.s3_etag = ref->etag;
  info.meta = meta;
  WriteMeta(info);
  return info;
}

S3Status S3Bucket::Delete(const std::string& key) {
  if (!storage::LocalFolderStore::CheckObjectKey(key).ok())
    return S3Error::Make(404, "NoSuchKey", "The specified key does not exist.");
  Status s = store_.Delete(key);
  if (!s.ok()) return FromStatus(s);
  std::error_code ec;
  fs::remove(MetaPath(key), ec);
  return std::nullopt;
}

S3Result<std::string> S3Bucket::CreateUpload(const std::string& key, const ObjectMeta& meta) {
  if (S3Status e = CheckKey(key)) return *e;
  const std::string id = NewHex(16);
  const fs::path dir = UploadDir(id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return S3Error::Make(500, "InternalError", "cannot create " + dir.string() + ": " + ec.message());
  if (!WriteSmallFile(dir / "meta.json", MetaJson(meta).dump()) || !WriteSmallFile(dir / "key", key)) {
    fs::remove_all(dir, ec);
    return S3Error::Make(500, "InternalError", "cannot write the upload's state in " + dir.string());
  }
  return id;
}

S3Result<fs::path> S3Bucket::FindUpload(const std::string& upload_id, const std::string& key) const {
  if (!IsHexId(upload_id)) return NoSuchUpload();
  const fs::path dir = UploadDir(upload_id);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NoSuchUpload();
  if (ReadSmallFile(dir / "key") != key) return NoSuchUpload();
  return dir;
}

S3Result<std::string> S3Bucket::PutPart(const std::string& upload_id, const std::string& key,
                                        int number, const Producer& produce) {
  if (number < 1 || number > kMaxPartNumber)
    return S3Error::Make(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
  S3Result<fs::path> dir = FindUpload(upload_id, key);
  if (!dir.ok()) return dir.error();
  const fs::path tmp = *dir / ("incoming-" + NewHex(8));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    // The upload was aborted or completed meanwhile.
    if (errno == ENOENT) return NoSuchUpload();
    return S3Error::Make(500, "InternalError", "cannot create " + tmp.string() + ": " + std::strerror(errno));
  }
  Digest md5(Digest::Kind::kMd5);
  Status written = produce([&](const char* data, size_t size) -> Status {
    md5.Update(data, size);
    while (size > 0) {
      const ssize_t n = ::write(fd, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::IoError("cannot write " + tmp.string() + ": " + std::strerror(errno));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
    return Status::Ok();
  });
  if (written.ok() && ::fsync(fd) != 0)
    written = Status::IoError("cannot fsync " + tmp.string() + ": " + std::strerror(errno));
  ::close(fd);
  std::error_code ec;
  if (!written.ok()) {
    fs::remove(tmp, ec);
    return FromStatus(written);
  }
  const std::string etag = HexEncode(md5.Finish());
  const std::string prefix = PartPrefix(number);
  // A part uploaded again replaces the earlier one.
  for (const auto& entry : fs::directory_iterator(*dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name != prefix + etag) fs::remove(entry.path(), ec);
  }
  fs::rename(tmp, *dir / (prefix + etag), ec);
  if (ec) {
    fs::remove(tmp, ec);
    return NoSuchUpload();
  }
  return etag;
}

S3Result<ObjectInfo> S3Bucket::Complete(const std::string& upload_id, const std::string& key,
                                        const std::vector<CompletedPart>& parts) {
  S3Result<fs::path> dir = FindUpload(upload_id, key);
  if (!dir.ok()) return dir.error();
  if (parts.empty())
    return S3Error::Make(400, "MalformedXML", "The XML you provided did not list any part.");
  std::vector<fs::path> files;
  std::string md5s;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].number <= parts[i - 1].number)
      return S3Error::Make(400, "InvalidPartOrder",
                           "The list of parts was not in ascending order. Parts must be ordered by part number.");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const CompletedPart& p = parts[i];
    const bool hex = p.etag.size() == 32 && std::all_of(p.etag.begin(), p.etag.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    const fs::path file = *dir / (PartPrefix(p.number) + p.etag);
    std::error_code ec;
    if (!hex || p.number < 1 || p.number > kMaxPartNumber || !fs::is_regular_file(file, ec))
      return S3Error::Make(400, "InvalidPart",
                           "One or more of the specified parts could not be found. The part may not "
                           "have been uploaded, or the specified entity tag may not match the part's "
                           "entity tag. (part " + std::to_string(p.number) + ")");
    if (i + 1 < parts.size() && fs::file_size(file, ec) < kMinPartSize)
      return S3Error::Make(400, "EntityTooSmall",
                           "Your proposed upload is smaller than the minimum allowed object size: "
                           "every part but the last must be at least 5 MiB (part " +
                               std::to_string(p.number) + ")");
    files.push_back(file);
    md5s += HexToBytes(p.etag);
  }
  Result<Json> meta_json = ParseJson(ReadSmallFile(*dir / "meta.json"));
  ObjectMeta meta = meta_json.ok() ? MetaFromJson(*meta_json) : ObjectMeta{};

  std::vector<char> buffer(kBlock);
  const std::string s3_etag = Md5Hex(md5s) + "-" + std::to_string(parts.size());
  Result<storage::ObjectRef> ref = store_.PutStream(key, [&](const storage::LocalFolderStore::ChunkSink& sink) -> Status {
    for (const fs::path& file : files) {
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::NotFound("part file " + file.string() + " vanished");
      Status s;
      for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          s = Status::IoError("cannot read " + file.string() + ": " + std::strerror(errno));
          break;
        }
        if (n == 0) break;
        s = sink(buffer.data(), static_cast<size_t>(n));
        if (!s.ok()) break;
      }
      ::close(fd);
      EP_RETURN_IF_ERROR(s);
    }
    return Status::Ok();
  }, s3_etag);
  if (!ref.ok()) {
    if (ref.status().code() == StatusCode::kNotFound) return NoSuchUpload();
    return FromStatus(ref.status());
  }
  ObjectInfo info;
  info.ref = *ref;
  info.s3_etag = s3_etag;
  info.meta = std::move(meta);
  WriteMeta(info);
  std::error_code ec;
  fs::remove_all(*dir, ec);
  return info;
}

S3Status S3Bucket::Abort(const std::string& upload_id, const std::string& key) {
  S3Result<fs::path> dir = FindUpload(upload_id, key);
  if (!dir.ok()) return dir.error();
  std::error_code ec;
  fs::remove_all(*dir, ec);
  if (ec) return S3Error::Make(500, "InternalError", "cannot remove " + dir->string() + ": " + ec.message());
  return std::nullopt;
}

}  // namespace ecompipe::api::s3
