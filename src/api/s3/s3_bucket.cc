#include "api/s3/s3_bucket.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/aws_sigv4.h"
#include "common/digest.h"
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

constexpr char kMetaFolder[] = "s3-meta";
constexpr char kUploadsFolder[] = "s3-uploads";

Json MetaJson(const ObjectMeta& meta) {
  Json j = Json::object();
  j["content_type"] = meta.content_type;
  j["user"] = meta.user;
  return j;
}

ObjectMeta MetaFromJson(const Json& j) {
  ObjectMeta meta;
  if (j.contains("content_type") && j["content_type"].is_string())
    meta.content_type = j["content_type"];
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
      return S3Error::Make(
          404, not_found_code,
          not_found_code == "NoSuchKey" ? "The specified key does not exist." : status.message());
    case StatusCode::kInvalidArgument:
      return S3Error::Make(400, "InvalidArgument", status.ToString());
    case StatusCode::kUnavailable:
      return S3Error::Make(503, "ServiceUnavailable", status.ToString());
    default:
      // The cause (which may name the server's paths) goes to the log, not to the client.
      spdlog::error("S3 endpoint: the bucket's store failed. error={}", status.ToString());
      return S3Error::Make(500, "InternalError",
                           "We encountered an internal error. Please try again.");
  }
}

S3Bucket::S3Bucket(storage::LocalFolderStore& store) : store_(store) {}

Result<std::unique_ptr<S3Bucket>> S3Bucket::Open(storage::LocalFolderStore& store) {
  std::unique_ptr<S3Bucket> b(new S3Bucket(store));
  for (const char* name : {kMetaFolder, kUploadsFolder}) {
    Result<storage::BeneathFolder> folder = store.SideFolder(name);
    if (!folder.ok()) {
      return Status::IoError("cannot create the S3 endpoint's folders in bucket " + store.bucket() +
                             ": " + folder.status().message());
    }
  }
  return b;
}

S3Status S3Bucket::CheckKey(const std::string& key) {
  Status s = storage::LocalFolderStore::CheckObjectKey(key);
  if (s.ok()) return std::nullopt;
  if (storage::LocalFolderStore::KeyTooLong(key))
    return S3Error::Make(400, "KeyTooLongError", "Your key is too long: " + s.message());
  return S3Error::Make(400, "InvalidArgument",
                       s.message() +
                           " (ecompipe stores objects as files: keys need non-empty "
                           "segments, no '.' or '..', no leading or trailing '/')");
}

S3Status S3Bucket::CheckExistingKey(const std::string& key) {
  S3Status e = CheckKey(key);
  // A well-formed key the folder cannot hold (a temporary name, the staging folder) names no
  // object; a malformed one (control characters, too long) is the client's error.
  if (e && e->code == "InvalidArgument" && storage::ValidateKey(key).ok())
    return S3Error::Make(404, "NoSuchKey", "The specified key does not exist.");
  return e;
}

S3Error S3Bucket::KeyError(const std::string& key, const Status& status) const {
  if (std::optional<std::string> link = store_.FindLink(key)) {
    return S3Error::Make(403, "AccessDenied",
                         "Access Denied: '" + *link +
                             "' is a symbolic link in the bucket's folder, and "
                             "ecompipe never follows, replaces or deletes links (key '" +
                             key + "')");
  }
  return FromStatus(status);
}

ObjectInfo S3Bucket::Describe(const storage::ObjectRef& ref) const {
  ObjectInfo info;
  info.ref = ref;
  info.s3_etag = ref.etag;
  Result<storage::BeneathFolder> meta = store_.SideFolder(kMetaFolder);
  if (!meta.ok()) return info;
  Result<std::string> text = meta->ReadSmallFile(Sha256Hex(ref.key));
  if (!text.ok() || text->empty()) return info;
  Result<Json> j = ParseJson(*text);
  if (!j.ok() || !j->is_object()) return info;
  // The side file describes this content only while its ETag still matches: the store's, which
  // is the multipart ETag recorded at CompleteMultipartUpload ("md5" in side files of objects
  // completed before the store recorded it).
  if (j->value("key", "") != ref.key ||
      (j->value("etag", "") != ref.etag && j->value("md5", "") != ref.etag))
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
  Result<storage::BeneathFolder> meta = store_.SideFolder(kMetaFolder);
  if (meta.ok()) (void)meta->WriteSmallFile(Sha256Hex(info.ref.key), j.dump());
}

S3Result<ObjectInfo> S3Bucket::Head(const std::string& key) const {
  if (S3Status e = CheckExistingKey(key)) return *e;
  Result<storage::ObjectRef> ref = store_.Head(key);
  if (!ref.ok()) return KeyError(key, ref.status());
  return Describe(*ref);
}

S3Result<storage::UniqueFd> S3Bucket::OpenForRead(const std::string& key) const {
  if (S3Status e = CheckExistingKey(key)) return *e;
  Result<storage::UniqueFd> fd = store_.OpenObjectFile(key);
  if (!fd.ok()) return KeyError(key, fd.status());
  return std::move(fd).value();
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
  if (!ref.ok()) return KeyError(key, ref.status());
  ObjectInfo info;
  info.ref = *ref;
  info.s3_etag = ref->etag;
  info.meta = meta;
  WriteMeta(info);
  return info;
}

S3Status S3Bucket::Delete(const std::string& key) {
  if (S3Status e = CheckExistingKey(key)) return *e;
  Status s = store_.Delete(key);
  if (!s.ok()) return KeyError(key, s);
  Result<storage::BeneathFolder> meta = store_.SideFolder(kMetaFolder);
  if (meta.ok()) (void)meta->RemoveFile(Sha256Hex(key));
  return std::nullopt;
}

S3Result<std::string> S3Bucket::CreateUpload(const std::string& key, const ObjectMeta& meta) {
  if (S3Status e = CheckKey(key)) return *e;
  // Refused now rather than after every part has been sent: Complete would refuse it anyway.
  if (store_.FindLink(key)) return KeyError(key, Status::InvalidArgument("a link is in the way"));
  Result<storage::BeneathFolder> uploads = store_.SideFolder(kUploadsFolder);
  if (!uploads.ok()) return FromStatus(uploads.status());
  const std::string id = NewHex(16);
  Result<storage::BeneathFolder> dir = uploads->Folder(id, /*create=*/true);
  if (!dir.ok()) return FromStatus(dir.status());
  Status s = dir->WriteSmallFile("meta.json", MetaJson(meta).dump());
  if (s.ok()) s = dir->WriteSmallFile("key", key);
  if (!s.ok()) {
    (void)uploads->RemoveTree(id);
    return FromStatus(
        Status(StatusCode::kIoError, "cannot write the upload's state: " + s.message()));
  }
  return id;
}

Result<int> S3Bucket::ExpireUploads(int64_t now_ms, int64_t max_age_ms) {
  EP_ASSIGN_OR_RETURN(storage::BeneathFolder uploads, store_.SideFolder(kUploadsFolder));
  EP_ASSIGN_OR_RETURN(std::vector<storage::BeneathFolder::Entry> entries, uploads.Entries());
  int expired = 0;
  for (const auto& e : entries) {
    if (!IsHexId(e.name)) continue;
    // "key" is written once, by CreateUpload: its time is the upload's initiation.
    Result<struct stat> st = uploads.Stat(e.name + "/key");
    if (!st.ok()) continue;  // being created, or not an upload
    const int64_t initiated_ms =
        static_cast<int64_t>(st->st_mtim.tv_sec) * 1000 + st->st_mtim.tv_nsec / 1'000'000;
    if (now_ms - initiated_ms < max_age_ms) continue;
    Result<storage::BeneathFolder> dir = uploads.Folder(e.name, /*create=*/false);
    Result<std::string> key = dir.ok() ? dir->ReadSmallFile("key") : Result<std::string>("?");
    if (Status s = uploads.RemoveTree(e.name); !s.ok()) {
      spdlog::warn("Cannot remove an expired multipart upload. upload_id={} error={}", e.name,
                   s.ToString());
      continue;
    }
    ++expired;
    spdlog::info("Expired an abandoned multipart upload. upload_id={} key={} age_h={}", e.name,
                 key.ok() ? *key : "?", (now_ms - initiated_ms) / 3'600'000);
  }
  return expired;
}

S3Result<storage::BeneathFolder> S3Bucket::FindUpload(const std::string& upload_id,
                                                      const std::string& key) const {
  if (!IsHexId(upload_id)) return NoSuchUpload();
  Result<storage::BeneathFolder> uploads = store_.SideFolder(kUploadsFolder);
  if (!uploads.ok()) return NoSuchUpload();
  Result<storage::BeneathFolder> dir = uploads->Folder(upload_id, /*create=*/false);
  if (!dir.ok()) return NoSuchUpload();
  Result<std::string> owner = dir->ReadSmallFile("key");
  if (!owner.ok() || *owner != key) return NoSuchUpload();
  return std::move(dir).value();
}

S3Result<std::string> S3Bucket::PutPart(const std::string& upload_id, const std::string& key,
                                        int number, const Producer& produce) {
  if (number < 1 || number > kMaxPartNumber)
    return S3Error::Make(400, "InvalidArgument",
                         "Part number must be an integer between 1 and 10000, inclusive");
  S3Result<storage::BeneathFolder> dir = FindUpload(upload_id, key);
  if (!dir.ok()) return dir.error();
  const std::string tmp = "incoming-" + NewHex(8);
  Result<storage::UniqueFd> file = dir->OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!file.ok()) {
    // The upload was aborted or completed meanwhile.
    if (file.status().code() == StatusCode::kNotFound) return NoSuchUpload();
    return FromStatus(file.status());
  }
  const int fd = file->get();
  Digest md5(Digest::Kind::kMd5);
  Status written = produce([&](const char* data, size_t size) -> Status {
    md5.Update(data, size);
    while (size > 0) {
      const ssize_t n = ::write(fd, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::IoError("cannot write part " + std::to_string(number) + ": " +
                               std::strerror(errno));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
    return Status::Ok();
  });
  if (written.ok() && ::fsync(fd) != 0)
    written = Status::IoError("cannot fsync part " + std::to_string(number) + ": " +
                              std::strerror(errno));
  file->Reset();
  if (!written.ok()) {
    (void)dir->RemoveFile(tmp);
    return FromStatus(written);
  }
  const std::string etag = HexEncode(md5.Finish());
  const std::string prefix = PartPrefix(number);
  // A part uploaded again replaces the earlier one.
  if (Result<std::vector<storage::BeneathFolder::Entry>> entries = dir->Entries(); entries.ok()) {
    for (const auto& entry : *entries) {
      if (entry.name.rfind(prefix, 0) == 0 && entry.name != prefix + etag)
        (void)dir->RemoveFile(entry.name);
    }
  }
  if (!dir->Rename(tmp, prefix + etag).ok()) {
    (void)dir->RemoveFile(tmp);
    return NoSuchUpload();
  }
  return etag;
}

S3Result<ObjectInfo> S3Bucket::Complete(const std::string& upload_id, const std::string& key,
                                        const std::vector<CompletedPart>& parts) {
  S3Result<storage::BeneathFolder> dir = FindUpload(upload_id, key);
  if (!dir.ok()) return dir.error();
  if (parts.empty())
    return S3Error::Make(400, "MalformedXML", "The XML you provided did not list any part.");
  std::vector<std::string> files;
  std::string md5s;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].number <= parts[i - 1].number)
      return S3Error::Make(
          400, "InvalidPartOrder",
          "The list of parts was not in ascending order. Parts must be ordered by part number.");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const CompletedPart& p = parts[i];
    const bool hex = p.etag.size() == 32 && std::all_of(p.etag.begin(), p.etag.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    const std::string file = PartPrefix(p.number) + p.etag;
    Result<struct stat> st =
        hex ? dir->Stat(file) : Result<struct stat>(Status::NotFound("bad ETag"));
    if (!hex || p.number < 1 || p.number > kMaxPartNumber || !st.ok() || !S_ISREG(st->st_mode))
      return S3Error::Make(
          400, "InvalidPart",
          "One or more of the specified parts could not be found. The part may not "
          "have been uploaded, or the specified entity tag may not match the part's "
          "entity tag. (part " +
              std::to_string(p.number) + ")");
    if (i + 1 < parts.size() && static_cast<uint64_t>(st->st_size) < kMinPartSize)
      return S3Error::Make(400, "EntityTooSmall",
                           "Your proposed upload is smaller than the minimum allowed object size: "
                           "every part but the last must be at least 5 MiB (part " +
                               std::to_string(p.number) + ")");
    files.push_back(file);
    md5s += HexToBytes(p.etag);
  }
  Result<std::string> meta_text = dir->ReadSmallFile("meta.json");
  Result<Json> meta_json =
      meta_text.ok() ? ParseJson(*meta_text) : Result<Json>(meta_text.status());
  ObjectMeta meta = meta_json.ok() ? MetaFromJson(*meta_json) : ObjectMeta{};

  std::vector<char> buffer(kBlock);
  const std::string s3_etag = Md5Hex(md5s) + "-" + std::to_string(parts.size());
  Result<storage::ObjectRef> ref = store_.PutStream(
      key,
      [&](const storage::LocalFolderStore::ChunkSink& sink) -> Status {
        for (const std::string& file : files) {
          Result<storage::UniqueFd> fd = dir->OpenFile(file, O_RDONLY);
          if (!fd.ok()) return Status::NotFound("part file " + file + " vanished");
          for (;;) {
            const ssize_t n = ::read(fd->get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0)
              return Status::IoError("cannot read part file " + file + ": " + std::strerror(errno));
            if (n == 0) break;
            EP_RETURN_IF_ERROR(sink(buffer.data(), static_cast<size_t>(n)));
          }
        }
        return Status::Ok();
      },
      s3_etag);
  if (!ref.ok()) {
    if (ref.status().code() == StatusCode::kNotFound) return NoSuchUpload();
    return KeyError(key, ref.status());
  }
  ObjectInfo info;
  info.ref = *ref;
  info.s3_etag = s3_etag;
  info.meta = std::move(meta);
  WriteMeta(info);
  if (Result<storage::BeneathFolder> uploads = store_.SideFolder(kUploadsFolder); uploads.ok())
    (void)uploads->RemoveTree(upload_id);
  return info;
}

S3Status S3Bucket::Abort(const std::string& upload_id, const std::string& key) {
  S3Result<storage::BeneathFolder> dir = FindUpload(upload_id, key);
  if (!dir.ok()) return dir.error();
  Result<storage::BeneathFolder> uploads = store_.SideFolder(kUploadsFolder);
  Status s = uploads.ok() ? uploads->RemoveTree(upload_id) : uploads.status();
  if (!s.ok())
    return FromStatus(Status(StatusCode::kIoError, "cannot remove the upload: " + s.message()));
  return std::nullopt;
}

}  // namespace ecompipe::api::s3
