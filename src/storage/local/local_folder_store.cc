#include "storage/local/local_folder_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

#include "common/aws_sigv4.h"
#include "common/ids.h"

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

Status ErrnoStatus(std::string_view what, const fs::path& path, int err) {
  std::string message = std::string(what) + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(message));
  return Status::IoError(std::move(message));
}

Status FsErrorStatus(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return ErrnoStatus(what, path, ec.value());
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

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

Status WriteAll(int fd, const char* data, size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr) == 1;
  }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Update(const char* data, size_t size) {
    if (ok_ && size > 0) ok_ = EVP_DigestUpdate(ctx_, data, size) == 1;
  }

  // Lowercase hex digest.
  Result<std::string> Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_, digest, &length) != 1) {
      return Status::Internal("MD5 computation failed (is MD5 disabled in OpenSSL?)");
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
      hex += kDigits[digest[i] >> 4];
      hex += kDigits[digest[i] & 15];
    }
    return hex;
  }

 private:
  EVP_MD_CTX* ctx_;
  bool ok_ = false;
};

Result<std::string> HashFile(int fd, const fs::path& path) {
  Md5 md5;
  std::vector<char> buffer(kIoBlockBytes);
  off_t offset = 0;
  for (;;) {
    ssize_t n;
    do {
      n = ::pread(fd, buffer.data(), buffer.size(), offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoStatus("cannot read", path, errno);
    if (n == 0) break;
    md5.Update(buffer.data(), static_cast<size_t>(n));
    offset += n;
  }
  return md5.Finish();
}

// Streams a file. Large reads go straight into the caller's buffer; small ones are served
// from a block-sized buffer so that a reader asking for a few bytes at a time does not cost
// a system call each.
class FileInputStream final : public InputStream {
 public:
  FileInputStream(Fd fd, fs::path path) : fd_(std::move(fd)), path_(std::move(path)) {}

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
    if (n < 0) return ErrnoStatus("cannot read", path_, errno);
    return static_cast<size_t>(n);
  }

  Fd fd_;
  fs::path path_;
  std::vector<char> block_;
  size_t pos_ = 0;
  size_t end_ = 0;
};

Status SyncFolder(const fs::path& folder) {
  Fd fd(OpenRetrying(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open folder", folder, errno);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("cannot fsync folder", folder, errno);
  return Status::Ok();
}

}  // namespace

LocalFolderStore::LocalFolderStore(fs::path root, std::string bucket)
    : root_(std::move(root)), staging_(root_ / kStagingFolderName), bucket_(std::move(bucket)) {}

Result<std::unique_ptr<LocalFolderStore>> LocalFolderStore::Open(const fs::path& root,
                                                                 std::string bucket_name) {
  if (bucket_name.empty()) return Status::InvalidArgument("local folder store: empty bucket name");
  if (root.empty()) return Status::InvalidArgument("local folder store: empty root folder");
  std::error_code ec;
  fs::path absolute_root = fs::absolute(root, ec);
  if (ec) return FsErrorStatus("cannot resolve folder", root, ec);
  fs::create_directories(absolute_root / kStagingFolderName, ec);
  if (ec) return FsErrorStatus("cannot create bucket folder", absolute_root, ec);
  if (!fs::is_directory(absolute_root, ec)) {
    return Status::IoError("bucket root " + absolute_root.string() + " is not a folder");
  }
  return std::unique_ptr<LocalFolderStore>(
      new LocalFolderStore(std::move(absolute_root), std::move(bucket_name)));
}

Status LocalFolderStore::CheckObjectKey(const std::string& key) {
  EP_RETURN_IF_ERROR(ValidateKey(key));
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

Result<ObjectRef> LocalFolderStore::Describe(const std::string& key) const {
  const fs::path path = PathOf(key);
  for (int attempt = 0; attempt < kHashAttempts; ++attempt) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return Status::NotFound("no object '" + key + "' in bucket " + bucket_);
      }
      return ErrnoStatus("cannot stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) {
      return Status::NotFound("no object '" + key + "' in bucket " + bucket_ +
                              " (the path is not a regular file)");
    }
    const auto before = IdentityOf<FileIdentity>(st);
    std::string etag;
    if (LookUpEtag(key, before, etag)) return MakeRef(key, before, std::move(etag));

    // O_NONBLOCK: should the file be swapped for a FIFO after the stat, open must not hang.
    Fd fd(OpenRetrying(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;  // replaced or removed since the stat: look again
      return ErrnoStatus("cannot open", path, errno);
    }
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
    const auto opened = IdentityOf<FileIdentity>(st);
    if (!S_ISREG(st.st_mode) || !(opened == before)) continue;
    EP_ASSIGN_OR_RETURN(etag, HashFile(fd.get(), path));
    etag = RecordedEtag(key, std::move(etag));
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
    // A writer changed the file while it was hashed: the digest matches neither version.
    if (!(IdentityOf<FileIdentity>(st) == opened)) continue;
    RememberEtag(key, opened, etag);
    return MakeRef(key, opened, std::move(etag));
  }
  return Status::Unavailable("object '" + key + "' kept changing while its ETag was computed")
      .At(path.string());
}

Result<ObjectRef> LocalFolderStore::Head(const std::string& key) const {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  return Describe(key);
}

Result<std::vector<ObjectRef>> LocalFolderStore::List(const std::string& prefix) const {
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

  std::vector<ObjectRef> objects;
  std::vector<std::string> pending = {start_rel};  // folders to walk, relative, '/'-terminated
  while (!pending.empty()) {
    const std::string rel_dir = std::move(pending.back());
    pending.pop_back();
    const fs::path dir = rel_dir.empty() ? root_ : root_ / rel_dir;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      // The prefix names no folder, or the folder vanished during the walk.
      if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
        continue;
      }
      return FsErrorStatus("cannot list folder", dir, ec);
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      const std::string rel = rel_dir + name;
      std::error_code type_ec;
      // Folder symlinks are not followed, so a link cannot loop or escape the root.
      const fs::file_status link_status = it->symlink_status(type_ec);
      if (type_ec) continue;
      if (fs::is_directory(link_status)) {
        if (name == kStagingFolderName) continue;
        const std::string sub = rel + "/";
        if (sub.starts_with(prefix) || prefix.starts_with(sub)) pending.push_back(sub);
        continue;
      }
      if (IsTemporaryName(name) || !rel.starts_with(prefix)) continue;
      if (!ValidateKey(rel).ok()) continue;  // e.g. a file name that is not UTF-8
      auto ref = Describe(rel);
      if (ref.ok()) {
        objects.push_back(std::move(ref).value());
      } else if (ref.status().code() != StatusCode::kNotFound) {
        return ref.status();  // NotFound: removed during the walk, or not a regular file
      }
    }
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return FsErrorStatus("cannot list folder", dir, ec);
    }
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectRef& a, const ObjectRef& b) { return a.key < b.key; });
  return objects;
}

Result<std::unique_ptr<InputStream>> LocalFolderStore::Open(const ObjectRef& object) const {
  EP_RETURN_IF_ERROR(CheckObjectKey(object.key));
  if (!object.bucket.empty() && object.bucket != bucket_) {
    return Status::InvalidArgument("object '" + object.key + "' belongs to bucket " +
                                   object.bucket + ", not to bucket " + bucket_);
  }
  Result<std::unique_ptr<InputStream>> in = OpenLocalFile(PathOf(object.key));
  if (in.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("no object '" + object.key + "' in bucket " + bucket_);
  }
  return in;
}

fs::path LocalFolderStore::EtagPath(const std::string& key) const {
  return staging_ / "etags" / Sha256Hex(key);
}

std::string LocalFolderStore::RecordedEtag(const std::string& key, std::string md5) const {
  // "<md5>\n<etag>\n"; anything else (or none) means the MD5 is the ETag.
  Fd fd(OpenRetrying(EtagPath(key).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return md5;
  char buf[256];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return md5;
  const std::string_view text(buf, static_cast<size_t>(n));
  const size_t nl = text.find('\n');
  const size_t end = nl == std::string_view::npos ? nl : text.find('\n', nl + 1);
  if (end == std::string_view::npos || text.substr(0, nl) != md5 || end == nl + 1) return md5;
  return std::string(text.substr(nl + 1, end - nl - 1));
}

Result<ObjectRef> LocalFolderStore::PutFrom(const std::string& key, const Producer& produce,
                                            const std::string& s3_etag) {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  const fs::path destination = PathOf(key);

  std::error_code ec;
  fs::create_directories(staging_, ec);
  if (ec) return FsErrorStatus("cannot create staging folder", staging_, ec);
  const fs::path staged = staging_ / (NewHex(16) + ".tmp");
  Fd fd(OpenRetrying(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus("cannot create", staged, errno);

  // Until the rename, failures must not leave the staged file behind.
  auto fail = [&](Status status) {
    fd.Reset();
    ::unlink(staged.c_str());
    return status;
  };

  Md5 md5;
  Status written = produce([&](const char* data, size_t size) {
    md5.Update(data, size);
    return WriteAll(fd.get(), data, size, staged);
  });
  if (!written.ok()) return fail(std::move(written));
  auto etag = md5.Finish();
  if (!etag.ok()) return fail(etag.status());
  if (::fsync(fd.get()) != 0) return fail(ErrnoStatus("cannot fsync", staged, errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail(ErrnoStatus("cannot stat", staged, errno));
  // rename(2) keeps the inode and the modification time, so this is the object's identity.
  const auto identity = IdentityOf<FileIdentity>(st);

  // The object's S3 ETag is recorded before the object appears, so that nobody sees it
  // under its MD5 first; a stale one of an earlier object of the key goes first.
  const fs::path etag_path = EtagPath(key);
  if (::unlink(etag_path.c_str()) != 0 && errno != ENOENT)
    return fail(ErrnoStatus("cannot remove", etag_path, errno));
  std::string final_etag = *etag;
  if (!s3_etag.empty()) {
    fs::create_directories(etag_path.parent_path(), ec);
    if (ec) return fail(FsErrorStatus("cannot create folder", etag_path.parent_path(), ec));
    const fs::path staged_etag = etag_path.string() + "." + NewHex(8) + ".tmp";
    Fd efd(OpenRetrying(staged_etag.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!efd.valid()) return fail(ErrnoStatus("cannot create", staged_etag, errno));
    const std::string text = *etag + "\n" + s3_etag + "\n";
    Status w = WriteAll(efd.get(), text.data(), text.size(), staged_etag);
    if (w.ok() && ::fsync(efd.get()) != 0) w = ErrnoStatus("cannot fsync", staged_etag, errno);
    efd.Reset();
    if (w.ok() && ::rename(staged_etag.c_str(), etag_path.c_str()) != 0)
      w = ErrnoStatus("cannot rename onto", etag_path, errno);
    if (!w.ok()) {
      ::unlink(staged_etag.c_str());
      return fail(std::move(w));
    }
    final_etag = s3_etag;
  }

  const fs::path parent = destination.parent_path();
  fs::create_directories(parent, ec);
  if (ec) {
    return fail(Status::IoError("cannot create folder " + parent.string() + " for key '" + key +
                                "': " + ec.message()));
  }
  if (::rename(staged.c_str(), destination.c_str()) != 0) {
    return fail(ErrnoStatus("cannot rename the staged upload onto", destination, errno));
  }
  fd.Reset();
  // Without this, a crash soon after could lose the rename even though Put() succeeded.
  EP_RETURN_IF_ERROR(SyncFolder(parent));

  RememberEtag(key, identity, final_etag);
  return MakeRef(key, identity, std::move(final_etag));
}

Result<ObjectRef> LocalFolderStore::Put(const std::string& key, const fs::path& source) {
  // Check the key first so that a bad key is reported as such even when `source` is bad too.
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  Fd in(OpenRetrying(source.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!in.valid()) return ErrnoStatus("cannot open upload source", source, errno);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return ErrnoStatus("cannot stat", source, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("upload source " + source.string() +
                                   " is not a regular file");
  }
  std::vector<char> buffer(kIoBlockBytes);
  return PutFrom(key, [&](const ChunkSink& sink) -> Status {
    for (;;) {
      const ssize_t n = ReadRetrying(in.get(), buffer.data(), buffer.size());
      if (n < 0) return ErrnoStatus("cannot read", source, errno);
      if (n == 0) return Status::Ok();
      EP_RETURN_IF_ERROR(sink(buffer.data(), static_cast<size_t>(n)));
    }
  });
}

Status LocalFolderStore::Delete(const std::string& key) {
  EP_RETURN_IF_ERROR(CheckObjectKey(key));
  const fs::path path = PathOf(key);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return ErrnoStatus("cannot stat", path, errno);
    return Status::NotFound("no object '" + key + "' in bucket " + bucket_);
  }
  if (S_ISDIR(st.st_mode)) return Status::NotFound("no object '" + key + "' in bucket " + bucket_);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::NotFound("no object '" + key + "' in bucket " + bucket_);
    return ErrnoStatus("cannot remove", path, errno);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    etags_.erase(key);
  }
  ::unlink(EtagPath(key).c_str());  // a recorded ETag of the content removed, if any
  return SyncFolder(path.parent_path());
}

Result<ObjectRef> LocalFolderStore::PutBytes(const std::string& key, std::string_view bytes) {
  return PutFrom(key, [&](const ChunkSink& sink) { return sink(bytes.data(), bytes.size()); });
}

Result<std::unique_ptr<InputStream>> OpenLocalFile(const fs::path& path) {
  Fd fd(OpenRetrying(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("no file " + path.string());
    return ErrnoStatus("cannot open", path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return Status::NotFound(path.string() + " is not a regular file");
  // Regular files ignore O_NONBLOCK, but clear it so the stream's contract is plain.
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::unique_ptr<InputStream>(std::make_unique<FileInputStream>(std::move(fd), path));
}

}  // namespace ecompipe::storage
