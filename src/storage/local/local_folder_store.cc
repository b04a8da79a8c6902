#include "storage/local/local_folder_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>
#include <system_error>
#include <utility>

#include "common/digest.h"
#include "common/ids.h"
#include "common/progress.h"

namespace ecompipe::storage {
namespace fs = std::filesystem;
namespace {

constexpr size_t kIoBlockBytes = 1 << 20;
// Bounds the ETag cache; past this many keys it starts over (a re-hash is only slower).
constexpr size_t kMaxCachedEtags = 1 << 20;
constexpr int kHashAttempts = 3;
// File timestamps advance in coarse ticks, so a file rewritten in place within a tick of its
// last write keeps its size, mtime and inode. Like git's "racily clean" entries, ETags of
// files modified this recently are not cached but recomputed on each call.
constexpr int64_t kRacyWindowNs = 2'000'000'000;

int64_t NowNs() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Messages name files by their key or their place in the bucket, never by a server path:
// S3 clients see them.
Status ErrnoStatus(std::string_view what, std::string_view name, int err) {
  std::string message = std::string(what) + " '" + std::string(name) + "': " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(message));
  return Status::IoError(std::move(message));
}

using Fd = UniqueFd;

int OpenRetrying(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// read(2) that retries on EINTR; -1 with errno on failure.
ssize_t ReadRetrying(int fd, char* buffer, size_t size) {
  ssize_t n;
  do {
    n = ::read(fd, buffer, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

Status WriteAll(int fd, const char* data, size_t size, std::string_view name) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", name, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// The hex MD5 `md5` has computed; kInternal when OpenSSL could not.
Result<std::string> FinishMd5Hex(Digest& md5) {
  const std::string raw = md5.Finish();
  if (raw.empty()) return Status::Internal("MD5 computation failed (is MD5 disabled in OpenSSL?)");
  return HexEncode(raw);
}

Result<std::string> HashFile(int fd, std::string_view name) {
  Digest md5(Digest::Kind::kMd5);
  std::vector<char> buffer(kIoBlockBytes);
  off_t offset = 0;
  for (;;) {
    ssize_t n;
    do {
      n = ::pread(fd, buffer.data(), buffer.size(), offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoStatus("cannot read", name, errno);
    if (n == 0) break;
    md5.Update(buffer.data(), static_cast<size_t>(n));
    offset += n;
  }
  return FinishMd5Hex(md5);
}

// Streams a file. Large reads go straight into the caller's buffer; small ones are served
// from a block-sized buffer so that a reader asking for a few bytes at a time does not cost
// a system call each.
class FileInputStream final : public InputStream {
 public:
  FileInputStream(Fd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (capacity == 0) return size_t{0};
    if (pos_ < end_) {
      const size_t n = std::min(capacity, end_ - pos_);
      std::memcpy(buffer, block_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    if (capacity >= kIoBlockBytes) return ReadInto(buffer, capacity);
    if (block_.empty()) block_.resize(kIoBlockBytes);
    EP_ASSIGN_OR_RETURN(size_t filled, ReadInto(block_.data(), block_.size()));
    pos_ = 0;
    end_ = filled;
    const size_t n = std::min(capacity, end_);
    std::memcpy(buffer, block_.data(), n);
    pos_ = n;
    return n;
  }

 private:
  Result<size_t> ReadInto(char* buffer, size_t capacity) {
    const ssize_t n = ReadRetrying(fd_.get(), buffer, capacity);
    if (n < 0) return ErrnoStatus("cannot read", name_, errno);
    return static_cast<size_t>(n);
  }

  Fd fd_;
  std::string name_;
  std::vector<char> block_;
  size_t pos_ = 0;
  size_t end_ = 0;
};

// Regular files ignore O_NONBLOCK (it only keeps open(2) from hanging on a FIFO swapped in),
// but clear it so that a stream's contract is plain.
void ClearNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  const size_t slash = key.rfind('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string EtagName(const std::string& key) {
  return std::string(kStagingFolderName) + "/etags/" + Sha256Hex(key);
}

constexpr char kLinkReason[] = "links_are_never_followed";

}  // namespace

void LogSkippedLink(const std::string& key, std::string_view reason) {
  static std::mutex mu;
  static std::set<std::string> logged;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (logged.size() >= 4096) logged.clear();
    if (!logged.insert(key + "\n" + std::string(reason)).second) return;
  }
  spdlog::warn("Skipped a symbolic link. key={} reason={}", key, reason);
}

LocalFolderStore::LocalFolderStore(fs::path root, BeneathFolder folder, std::string bucket)
    : root_(std::move(root)), folder_(std::move(folder)), bucket_(std::move(bucket)) {}

Result<std::unique_ptr<LocalFolderStore>> LocalFolderStore::Open(const fs::path& root,
                                                                 std::string bucket_name) {
  if (bucket_name.empty()) return Status::InvalidArgument("local folder store: empty bucket name");
  if (root.empty()) return Status::InvalidArgument("local folder store: empty root folder");
  std::error_code ec;
  fs::path absolute_root = fs::absolute(root, ec);
  if (ec) return Status::IoError("cannot resolve folder " + root.string() + ": " + ec.message());
  // The root may be a link to the bucket's real folder: resolved here, once.
  Result<BeneathFolder> folder = BeneathFolder::OpenRoot(absolute_root, /*create=*/true);
  if (!folder.ok()) {
    return Status::IoError("cannot open bucket folder " + absolute_root.string() + ": " +
                           folder.status().message());
  }
  Result<BeneathFolder> staging = folder->Folder(kStagingFolderName, /*create=*/true);
  if (!staging.ok()) {
    return Status::IoError("bucket folder " + absolute_root.string() + ": " +
                           staging.status().message());
  }
  return std::unique_ptr<LocalFolderStore>(new LocalFolderStore(
      std::move(absolute_root), std::move(folder).value(), std::move(bucket_name)));
}

bool LocalFolderStore::KeyTooLong(const std::string& key) {
  if (key.size() > 1024) return true;
  size_t start = 0;
  for (;;) {
    const size_t slash = key.find('/', start);
    const size_t end = slash == std::string::npos ? key.size() : slash;
    if (end - start > kMaxSegmentBytes) return true;
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

Status LocalFolderStore::CheckObjectKey(const std::string& key) {
  EP_RETURN_IF_ERROR(ValidateKey(key));
  // The file system refuses a longer name (ENAMETOOLONG), which was answered as a server error
  // quoting the bucket's path; it is the key's fault.
  if (KeyTooLong(key)) {
    return Status::InvalidArgument("invalid object key: a segment of it is longer than " +
                                   std::to_string(kMaxSegmentBytes) +
                                   " bytes; ecompipe stores objects as files, whose names have "
                                   "at most 255 bytes");
  }
  const size_t slash = key.rfind('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (IsTemporaryName(name)) {
    return Status::InvalidArgument("invalid object key '" + key + "': '" + name +
                                   "' is a temporary or hidden file name, never an object");
  }
  const std::string staging(kStagingFolderName);
  if (key.starts_with(staging + "/") || key.find("/" + staging + "/") != std::string::npos) {
    return Status::InvalidArgument("invalid object key '" + key + "': the folder '" + staging +
                                   "' is reserved for uploads in progress");
  }
  return Status::Ok();
}

fs::path LocalFolderStore::PathOf(const std::string& key) const { return root_ / key; }

std::optional<std::string> LocalFolderStore::FindLink(const std::string& key) const {
  return folder_.FindLink(key);
}

Result<BeneathFolder> LocalFolderStore::SideFolder(const std::string& name) const {
  return folder_.Folder(std::string(kStagingFolderName) + "/" + name, /*create=*/true);
}

ObjectRef LocalFolderStore::MakeRef(const std::string& key, const FileIdentity& id,
                                    std::string etag) const {
  ObjectRef ref;
  ref.bucket = bucket_;
  ref.key = key;
  ref.etag = std::move(etag);
  ref.size = id.size;
  ref.mtime_ms = id.mtime_ns / 1'000'000;
  return ref;
}

namespace {
template <typename Id>
Id IdentityOf(const struct stat& st) {
  Id id;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.device = static_cast<uint64_t>(st.st_dev);
  return id;
}
}  // namespace

bool LocalFolderStore::LookUpEtag(const std::string& key, const FileIdentity& id,
                                  std::string& etag) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = etags_.find(key);
  if (it == etags_.end() || !(it->second.identity == id)) return false;
  etag = it->second.etag;
  return true;
}

void LocalFolderStore::RememberEtag(const std::string& key, const FileIdentity& id,
                                    const std::string& etag) const {
  if (id.mtime_ns > NowNs() - kRacyWindowNs) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (etags_.size() >= kMaxCachedEtags && etags_.find(key) == etags_.end()) etags_.clear();
  etags_[key] = CachedEtag{id, etag};
}

Result<BeneathFolder> LocalFolderStore::ParentOf(const std::string& key, std::string& name) const {
  auto [parent, file] = SplitKey(key);
  name = std::move(file);
  return folder_.Folder(parent, /*create=*/false);
}

Result<ObjectRef> LocalFolderStore::Describe(const BeneathFolder& parent, const std::string& name,
                                             const std::string& key) const {
  for (int attempt = 0; attempt < kHashAttempts; ++attempt) {
    struct stat st;
    if (::fstatat(parent.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return Status::NotFound("no object '" + key + "' in bucket " + bucket_);
      }
      return ErrnoStatus("cannot stat", key, errno);
    }
    if (S_ISLNK(st.st_mode)) {
      return Status::NotFound("no object '" + key + "' in bucket " + bucket_ + " ('" + key +
                              "' is a symbolic link, which ecompipe never follows)");
    }
    if (!S_ISREG(st.st_mode)) {
      return Status::NotFound("no object '" + key + "' in bucket " + bucket_ +
                              " (the path is not a regular file)");
    }
    const auto before = IdentityOf<FileIdentity>(st);
    std::string etag;
    if (LookUpEtag(key, before, etag)) return MakeRef(key, before, std::move(etag));

    // O_NONBLOCK: should the file be swapped for a FIFO after the stat, open must not hang.
    // O_NOFOLLOW: nor may a link swapped in be followed (ELOOP: look again).
    Fd fd(::openat(parent.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
    if (!fd.valid()) {
      if (errno == ENOENT || errno == ELOOP) continue;  // replaced or removed since the stat
      return ErrnoStatus("cannot open", key, errno);
    }
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", key, errno);
    const auto opened = IdentityOf<FileIdentity>(st);
    if (!S_ISREG(st.st_mode) || !(opened == before)) continue;
    EP_ASSIGN_OR_RETURN(etag, HashFile(fd.get(), key));
    etag = RecordedEtag(key, std::move(etag));
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", key, errno);
    // A writer changed the file while it was hashed: the digest matches neither version.
    if (!(IdentityOf<FileIdentity>(st) == opened)) continue;
    RememberEtag(key, opened, etag);
    return MakeRef(key, opened, std::move(etag));
  }
  return Status::Unavailable("object '" + key + "' kept changing while its ETag was computed")
      .At(key);
}

Result<ObjectRef> LocalFolderStore::Head(const std::string& key) const {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  std::string name;
  Result<BeneathFolder> parent = ParentOf(key, name);
  if (!parent.ok()) {
    if (parent.status().code() == StatusCode::kInvalidArgument) {  // a link on the way
      return Status::NotFound("no object '" + key + "' in bucket " + bucket_ + " (" +
                              parent.status().message() + ")");
    }
    if (parent.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no object '" + key + "' in bucket " + bucket_);
    }
    return parent.status();
  }
  return Describe(*parent, name, key);
}

Result<std::vector<ObjectRef>> LocalFolderStore::List(const std::string& prefix) const {
  std::vector<ObjectRef> objects;
  EP_RETURN_IF_ERROR(Walk(prefix, &objects, nullptr));
  std::sort(objects.begin(), objects.end(),
            [](const ObjectRef& a, const ObjectRef& b) { return a.key < b.key; });
  return objects;
}

Result<size_t> LocalFolderStore::CountObjects(const std::string& prefix) const {
  size_t count = 0;
  EP_RETURN_IF_ERROR(Walk(prefix, nullptr, &count));
  return count;
}

Status LocalFolderStore::Walk(const std::string& prefix, std::vector<ObjectRef>* objects,
                              size_t* count) const {
  // Only the folder named by the prefix's complete segments needs walking.
  const size_t last_slash = prefix.rfind('/');
  std::string start_rel;  // "" or "a/b/"
  if (last_slash != std::string::npos) {
    start_rel = prefix.substr(0, last_slash + 1);
    Status valid = ValidateKey(start_rel.substr(0, start_rel.size() - 1));
    if (!valid.ok()) {
      return Status::InvalidArgument("invalid list prefix: " + valid.message());
    }
  }

  std::vector<std::string> pending = {start_rel};  // folders to walk, relative, '/'-terminated
  while (!pending.empty()) {
    const std::string rel_dir = std::move(pending.back());
    pending.pop_back();
    Result<BeneathFolder> dir =
        folder_.Folder(rel_dir.empty() ? "" : rel_dir.substr(0, rel_dir.size() - 1), false);
    if (!dir.ok()) {
      // The prefix names no folder, or the folder vanished during the walk.
      if (dir.status().code() == StatusCode::kNotFound) continue;
      if (dir.status().code() == StatusCode::kInvalidArgument) {
        // The prefix's folder is (or passes through) a link, or one was swapped in mid-walk.
        if (std::optional<std::string> link = folder_.FindLink(rel_dir)) {
          LogSkippedLink(*link, kLinkReason);
        }
        continue;
      }
      return dir.status();
    }
    Result<std::vector<BeneathFolder::Entry>> entries = dir->Entries();
    if (!entries.ok()) {
      if (entries.status().code() == StatusCode::kNotFound) continue;
      return entries.status();
    }
    for (const BeneathFolder::Entry& entry : *entries) {
      const std::string& name = entry.name;
      const std::string rel = rel_dir + name;
      switch (entry.type) {
        case BeneathFolder::EntryType::kLink:
          // Links are not objects, whatever they point to: never followed, so a link cannot
          // loop or reach outside the bucket.
          if (rel.starts_with(prefix) || prefix.starts_with(rel + "/"))
            LogSkippedLink(rel, kLinkReason);
          continue;
        case BeneathFolder::EntryType::kFolder: {
          if (name == kStagingFolderName) continue;
          const std::string sub = rel + "/";
          if (sub.starts_with(prefix) || prefix.starts_with(sub)) pending.push_back(sub);
          continue;
        }
        case BeneathFolder::EntryType::kOther:
          continue;
        case BeneathFolder::EntryType::kFile:
          break;
      }
      if (IsTemporaryName(name) || !rel.starts_with(prefix)) continue;
      if (!ValidateKey(rel).ok()) continue;  // e.g. a file name that is not UTF-8
      if (objects == nullptr) {
        ++*count;
        continue;
      }
      auto ref = Describe(*dir, name, rel);
      if (ref.ok()) {
        objects->push_back(std::move(ref).value());
      } else if (ref.status().code() != StatusCode::kNotFound) {
        return ref.status();  // NotFound: removed during the walk, or not a regular file
      }
    }
  }
  return Status::Ok();
}

Result<UniqueFd> LocalFolderStore::OpenObjectFile(const std::string& key) const {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  Status not_found = Status::NotFound("no object '" + key + "' in bucket " + bucket_);
  std::string name;
  Result<BeneathFolder> parent = ParentOf(key, name);
  if (!parent.ok()) {
    if (parent.status().code() == StatusCode::kInvalidArgument) {
      return Status::NotFound(not_found.message() + " (" + parent.status().message() + ")");
    }
    return parent.status().code() == StatusCode::kNotFound ? not_found : parent.status();
  }
  Fd fd(::openat(parent->fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ELOOP) {
      return Status::NotFound(not_found.message() + " ('" + key +
                              "' is a symbolic link, which ecompipe never follows)");
    }
    if (errno == ENOENT || errno == ENOTDIR) return not_found;
    return ErrnoStatus("cannot open", key, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", key, errno);
  if (!S_ISREG(st.st_mode)) return not_found;
  ClearNonBlocking(fd.get());
  return fd;
}

Result<std::unique_ptr<InputStream>> LocalFolderStore::Open(const ObjectRef& object) const {
  EP_RETURN_IF_ERROR(CheckObjectKey(object.key));
  if (!object.bucket.empty() && object.bucket != bucket_) {
    return Status::InvalidArgument("object '" + object.key + "' belongs to bucket " +
                                   object.bucket + ", not to bucket " + bucket_);
  }
  EP_ASSIGN_OR_RETURN(Fd fd, OpenObjectFile(object.key));
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::unique_ptr<InputStream>(std::make_unique<FileInputStream>(std::move(fd), object.key));
}

std::string LocalFolderStore::RecordedEtag(const std::string& key, std::string md5) const {
  // "<md5>\n<etag>\n"; anything else (or none) means the MD5 is the ETag.
  Result<std::string> read = folder_.ReadSmallFile(EtagName(key), 256);
  if (!read.ok() || read->empty()) return md5;
  const std::string_view text(*read);
  const size_t nl = text.find('\n');
  const size_t end = nl == std::string_view::npos ? nl : text.find('\n', nl + 1);
  if (end == std::string_view::npos || text.substr(0, nl) != md5 || end == nl + 1) return md5;
  return std::string(text.substr(nl + 1, end - nl - 1));
}

Result<ObjectRef> LocalFolderStore::PutFrom(const std::string& key, const Producer& produce,
                                            const std::string& s3_etag) {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  const auto [parent_rel, name] = SplitKey(key);

  EP_ASSIGN_OR_RETURN(BeneathFolder staging, folder_.Folder(kStagingFolderName, /*create=*/true));
  const std::string staged = NewHex(16) + ".tmp";
  EP_ASSIGN_OR_RETURN(Fd fd, staging.OpenFile(staged, O_WRONLY | O_CREAT | O_EXCL, 0644));
  const std::string staged_name = std::string(kStagingFolderName) + "/" + staged;

  // Until the rename, failures must not leave the staged file behind.
  auto fail = [&](Status status) {
    fd.Reset();
    (void)staging.RemoveFile(staged);
    return status;
  };

  Digest md5(Digest::Kind::kMd5);
  Status written = produce([&](const char* data, size_t size) {
    md5.Update(data, size);
    return WriteAll(fd.get(), data, size, staged_name);
  });
  if (!written.ok()) return fail(std::move(written));
  auto etag = FinishMd5Hex(md5);
  if (!etag.ok()) return fail(etag.status());
  if (::fsync(fd.get()) != 0) return fail(ErrnoStatus("cannot fsync", staged_name, errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail(ErrnoStatus("cannot stat", staged_name, errno));
  // rename(2) keeps the inode and the modification time, so this is the object's identity.
  const auto identity = IdentityOf<FileIdentity>(st);

  // The destination folder, created as needed, never through a link: a key whose folder is a
  // link (to anywhere) is refused rather than written through.
  Result<BeneathFolder> parent = folder_.Folder(parent_rel, /*create=*/true);
  if (!parent.ok()) {
    if (parent.status().code() == StatusCode::kInvalidArgument) {
      return fail(Status::InvalidArgument("cannot land '" + key + "' in bucket " + bucket_ + ": " +
                                          parent.status().message()));
    }
    return fail(Status::IoError("cannot create the folder of key '" + key +
                                "': " + parent.status().message()));
  }
  // rename(2) would replace a link at the key rather than follow it, but a link there is
  // someone's deliberate choice: refuse, as for reads.
  struct stat existing;
  if (::fstatat(parent->fd(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(existing.st_mode)) {
    return fail(Status::InvalidArgument("cannot land '" + key + "' in bucket " + bucket_ + ": '" +
                                        key +
                                        "' is a symbolic link; ecompipe never follows or "
                                        "replaces links in a bucket folder (remove it first)"));
  }

  // The object's S3 ETag is recorded before the object appears, so that nobody sees it
  // under its MD5 first; a stale one of an earlier object of the key goes first.
  const std::string etag_name = EtagName(key);
  Status removed = folder_.RemoveFile(etag_name);
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) return fail(std::move(removed));
  std::string final_etag = *etag;
  if (!s3_etag.empty()) {
    Result<BeneathFolder> etags = staging.Folder("etags", /*create=*/true);
    if (!etags.ok()) return fail(etags.status());
    Status w = folder_.WriteSmallFile(etag_name, *etag + "\n" + s3_etag + "\n");
    if (!w.ok()) return fail(std::move(w));
    final_etag = s3_etag;
  }

  if (::renameat(staging.fd(), staged.c_str(), parent->fd(), name.c_str()) != 0) {
    return fail(ErrnoStatus("cannot rename the staged upload onto", key, errno));
  }
  fd.Reset();
  // Without this, a crash soon after could lose the rename even though Put() succeeded.
  EP_RETURN_IF_ERROR(parent->Sync());

  RememberEtag(key, identity, final_etag);
  return MakeRef(key, identity, std::move(final_etag));
}

Result<ObjectRef> LocalFolderStore::Put(const std::string& key, const fs::path& source) {
  // Check the key first so that a bad key is reported as such even when `source` is bad too.
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  // `source` is the caller's file, outside the bucket: opened as given, links followed.
  Fd in(OpenRetrying(source.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!in.valid()) return ErrnoStatus("cannot open upload source", source.string(), errno);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return ErrnoStatus("cannot stat", source.string(), errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("upload source " + source.string() + " is not a regular file");
  }
  std::vector<char> buffer(kIoBlockBytes);
  return PutFrom(key, [&](const ChunkSink& sink) -> Status {
    for (;;) {
      const ssize_t n = ReadRetrying(in.get(), buffer.data(), buffer.size());
      if (n < 0) return ErrnoStatus("cannot read", source.string(), errno);
      if (n == 0) return Status::Ok();
      EP_RETURN_IF_ERROR(sink(buffer.data(), static_cast<size_t>(n)));
      progress::Add(static_cast<uint64_t>(n));
    }
  });
}

Status LocalFolderStore::Delete(const std::string& key) {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  Status not_found = Status::NotFound("no object '" + key + "' in bucket " + bucket_);
  std::string name;
  Result<BeneathFolder> parent = ParentOf(key, name);
  if (!parent.ok()) {
    if (parent.status().code() == StatusCode::kInvalidArgument) {
      return Status::InvalidArgument("cannot delete '" + key + "' in bucket " + bucket_ + ": " +
                                     parent.status().message());
    }
    return parent.status().code() == StatusCode::kNotFound ? not_found : parent.status();
  }
  struct stat st;
  if (::fstatat(parent->fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return ErrnoStatus("cannot stat", key, errno);
    return not_found;
  }
  if (S_ISLNK(st.st_mode)) {
    return Status::InvalidArgument("cannot delete '" + key + "' in bucket " + bucket_ + ": '" +
                                   key +
                                   "' is a symbolic link, not an object; ecompipe leaves links "
                                   "(and what they point to) alone");
  }
  if (S_ISDIR(st.st_mode)) return not_found;
  if (::unlinkat(parent->fd(), name.c_str(), 0) != 0) {
    if (errno == ENOENT) return not_found;
    return ErrnoStatus("cannot remove", key, errno);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    etags_.erase(key);
  }
  (void)folder_.RemoveFile(EtagName(key));  // a recorded ETag of the content removed, if any
  return parent->Sync();
}

Result<ObjectRef> LocalFolderStore::PutBytes(const std::string& key, std::string_view bytes) {
  return PutFrom(key, [&](const ChunkSink& sink) { return sink(bytes.data(), bytes.size()); });
}

Result<std::unique_ptr<InputStream>> OpenLocalFile(const fs::path& path) {
  Fd fd(OpenRetrying(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("no file " + path.string());
    return ErrnoStatus("cannot open", path.string(), errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", path.string(), errno);
  if (!S_ISREG(st.st_mode)) return Status::NotFound(path.string() + " is not a regular file");
  ClearNonBlocking(fd.get());
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::unique_ptr<InputStream>(
      std::make_unique<FileInputStream>(std::move(fd), path.string()));
}

}  // namespace ecompipe::storage
