#include "storage/local/beneath_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/ids.h"

namespace ecompipe::storage {
namespace {

// Set once openat2 answered ENOSYS (or by tests); from then on every open walks segments.
std::atomic<bool> use_fallback{false};

// Splits a relative path into its segments; false when it is empty, absolute, or has an
// empty, "." or ".." segment (which RESOLVE_BENEATH would also refuse, but the fallback must
// not even try).
bool SplitSegments(std::string_view rel, std::vector<std::string>& out) {
  out.clear();
  if (rel.empty() || rel.front() == '/') return false;
  size_t start = 0;
  for (;;) {
    const size_t slash = rel.find('/', start);
    const std::string_view seg =
        rel.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    out.emplace_back(seg);
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// After open(O_NOFOLLOW) of `name` in `dir_fd` failed with `err`: ELOOP when `name` is a
// link (O_DIRECTORY | O_NOFOLLOW on a link answers ENOTDIR), else `err`.
int ClassifyLink(int dir_fd, const std::string& name, int err) {
  if (err != ENOTDIR && err != ELOOP) return err;
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return ELOOP;
  }
  return err;
}

int OpenatRetrying(int dir_fd, const char* name, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::openat(dir_fd, name, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// A new descriptor of the folder `dir_fd`: not dup(2), whose copy would share the read
// position, so that listing one would leave the other at its end.
int ReopenFolder(int dir_fd) {
  return OpenatRetrying(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
}

// True when one of the segments of the path (all but those past the first missing one) is
// a link.
bool LinkOnPath(int dir_fd, const std::vector<std::string>& segments) {
  int current = dir_fd;
  UniqueFd owned;
  for (const std::string& segment : segments) {
    struct stat st;
    if (::fstatat(current, segment.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (S_ISLNK(st.st_mode)) return true;
    if (!S_ISDIR(st.st_mode)) return false;
    const int next = OpenatRetrying(current, segment.c_str(),
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (next < 0) return false;
    owned = UniqueFd(next);
    current = next;
  }
  return false;
}

int OpenFallback(int dir_fd, const std::vector<std::string>& segments, int flags, mode_t mode) {
  int current = dir_fd;
  UniqueFd owned;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const int next = OpenatRetrying(current, segments[i].c_str(),
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (next < 0) {
      errno = ClassifyLink(current, segments[i], errno);
      return -1;
    }
    owned = UniqueFd(next);
    current = next;
  }
  const int fd =
      OpenatRetrying(current, segments.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) errno = ClassifyLink(current, segments.back(), errno);
  return fd;
}

// (parent, final name) of a relative path; parent "" for a single segment.
std::pair<std::string_view, std::string_view> SplitParent(std::string_view rel) {
  const size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

std::string Join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

// Removes everything inside the open folder `dir_fd`; links and files are unlinked, folders
// emptied then removed. Never follows a link.
Status RemoveContents(int dir_fd, const std::string& display) {
  const int dup = ReopenFolder(dir_fd);
  if (dup < 0) return Status::IoError("cannot list " + display + ": " + std::strerror(errno));
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    ::close(dup);
    return Status::IoError("cannot list " + display + ": " + std::strerror(errno));
  }
  std::vector<std::pair<std::string, bool>> entries;  // name, is a folder
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool folder = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      folder =
          ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    entries.emplace_back(name, folder);
  }
  ::closedir(dir);
  for (const auto& [name, folder] : entries) {
    if (folder) {
      UniqueFd sub(
          OpenatRetrying(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0));
      if (sub.valid()) EP_RETURN_IF_ERROR(RemoveContents(sub.get(), Join(display, name)));
    }
    if (::unlinkat(dir_fd, name.c_str(), folder ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT) {
      return Status::IoError("cannot remove " + Join(display, name) + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void ForceOpenBeneathFallbackForTesting(bool force) { use_fallback.store(force); }

int OpenBeneath(int dir_fd, std::string_view rel, int flags, mode_t mode) {
  std::vector<std::string> segments;
  if (!SplitSegments(rel, segments)) {
    errno = EINVAL;
    return -1;
  }
  if (!use_fallback.load(std::memory_order_relaxed)) {
    const std::string path(rel);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    for (int attempt = 0;; ++attempt) {
      const long fd = ::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof how);
      if (fd >= 0) return static_cast<int>(fd);
      if (errno == EINTR) continue;
      // EAGAIN: a concurrent rename kept the kernel from proving the path stays beneath.
      if (errno == EAGAIN && attempt < 8) continue;
      // O_DIRECTORY on a final link answers ENOTDIR before RESOLVE_NO_SYMLINKS's ELOOP.
      if (errno == ENOTDIR && LinkOnPath(dir_fd, segments)) errno = ELOOP;
      if (errno != ENOSYS) return -1;
      use_fallback.store(true);
      break;
    }
  }
  return OpenFallback(dir_fd, segments, flags, mode);
}

Result<BeneathFolder> BeneathFolder::OpenRoot(const std::filesystem::path& path, bool create) {
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IoError("cannot create folder " + path.string() + ": " + ec.message());
  }
  // The configured path may itself be (or pass through) a link: it is resolved here, once.
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("no folder " + path.string());
    if (err == ENOTDIR) return Status::IoError(path.string() + " is not a folder");
    return Status::IoError("cannot open folder " + path.string() + ": " + std::strerror(err));
  }
  return BeneathFolder(UniqueFd(fd), "");
}

std::string BeneathFolder::Name(std::string_view rel) const { return Join(display_, rel); }

Status BeneathFolder::ErrnoStatus(std::string_view what, std::string_view rel, int err) const {
  const std::string name = Name(rel);
  if (err == ELOOP) {
    std::optional<std::string> link = FindLink(rel);
    return Status::InvalidArgument("'" + (link ? Name(*link) : name) +
                                   "' is a symbolic link; ecompipe never follows links in a "
                                   "bucket folder (cannot " +
                                   std::string(what) + " '" + name + "')");
  }
  std::string message = "cannot " + std::string(what) + " '" + name + "': " + std::strerror(err);
  // ENOTDIR: a folder on the way is a file, so there is no such path either.
  if (err == ENOENT || err == ENOTDIR) return Status::NotFound(std::move(message));
  if (err == EEXIST) return Status::AlreadyExists(std::move(message));
  if (err == EINVAL) return Status::InvalidArgument(std::move(message));
  return Status::IoError(std::move(message));
}

Result<BeneathFolder> BeneathFolder::Folder(std::string_view rel, bool create) const {
  if (rel.empty()) {
    const int dup = ReopenFolder(fd_.get());
    if (dup < 0) return ErrnoStatus("open folder", ".", errno);
    return BeneathFolder(UniqueFd(dup), display_);
  }
  int fd = OpenBeneath(fd_.get(), rel, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) return BeneathFolder(UniqueFd(fd), Name(rel));
  if (errno != ENOENT || !create) return ErrnoStatus("open folder", rel, errno);

  std::vector<std::string> segments;
  if (!SplitSegments(rel, segments)) return ErrnoStatus("open folder", rel, EINVAL);
  int current = fd_.get();
  UniqueFd owned;
  for (const std::string& segment : segments) {
    if (::mkdirat(current, segment.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("create folder", rel, errno);
    }
    const int next = OpenatRetrying(current, segment.c_str(),
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (next < 0) return ErrnoStatus("open folder", rel, ClassifyLink(current, segment, errno));
    owned = UniqueFd(next);
    current = next;
  }
  return BeneathFolder(std::move(owned), Name(rel));
}

Result<UniqueFd> BeneathFolder::OpenFile(std::string_view rel, int flags, mode_t mode) const {
  const int fd = OpenBeneath(fd_.get(), rel, flags, mode);
  if (fd < 0) return ErrnoStatus("open", rel, errno);
  return UniqueFd(fd);
}

Result<struct stat> BeneathFolder::Stat(std::string_view rel) const {
  struct stat st;
  if (rel.empty()) {
    if (::fstat(fd_.get(), &st) != 0) return ErrnoStatus("stat", ".", errno);
    return st;
  }
  const auto [parent_rel, name] = SplitParent(rel);
  int dir_fd = fd_.get();
  UniqueFd parent;
  if (!parent_rel.empty()) {
    parent = UniqueFd(OpenBeneath(fd_.get(), parent_rel, O_RDONLY | O_DIRECTORY));
    if (!parent.valid()) return ErrnoStatus("stat", rel, errno);
    dir_fd = parent.get();
  }
  const std::string n(name);
  if (n == "." || n == "..") return ErrnoStatus("stat", rel, EINVAL);
  if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return ErrnoStatus("stat", rel, errno);
  return st;
}

Result<std::vector<BeneathFolder::Entry>> BeneathFolder::Entries(std::string_view rel) const {
  const int fd =
      rel.empty() ? ReopenFolder(fd_.get()) : OpenBeneath(fd_.get(), rel, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus("list folder", rel.empty() ? "." : rel, errno);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("list folder", rel, err);
  }
  std::vector<Entry> entries;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir);
    if (e == nullptr) {
      const int err = errno;
      ::closedir(dir);
      if (err != 0) return ErrnoStatus("list folder", rel, err);
      return entries;
    }
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
      type = S_ISREG(st.st_mode)   ? DT_REG
             : S_ISDIR(st.st_mode) ? DT_DIR
             : S_ISLNK(st.st_mode) ? DT_LNK
                                   : DT_FIFO;
    }
    EntryType t = type == DT_REG   ? EntryType::kFile
                  : type == DT_DIR ? EntryType::kFolder
                  : type == DT_LNK ? EntryType::kLink
                                   : EntryType::kOther;
    entries.push_back(Entry{std::move(name), t});
  }
}

Result<std::string> BeneathFolder::ReadSmallFile(std::string_view rel, size_t max_bytes) const {
  EP_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(rel, O_RDONLY | O_NONBLOCK));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat", rel, errno);
  if (!S_ISREG(st.st_mode)) return Status::NotFound("'" + Name(rel) + "' is not a regular file");
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", rel, errno);
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      return Status::InvalidArgument("'" + Name(rel) + "' is larger than " +
                                     std::to_string(max_bytes) + " bytes");
    }
    text.append(buffer, static_cast<size_t>(n));
  }
}

Status BeneathFolder::WriteSmallFile(std::string_view rel, std::string_view text) const {
  const std::string tmp = std::string(rel) + ".tmp-" + NewHex(6);
  EP_ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
  Status status;
  const char* data = text.data();
  size_t left = text.size();
  while (status.ok() && left > 0) {
    const ssize_t n = ::write(fd.get(), data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ErrnoStatus("write", tmp, errno);
      break;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (status.ok() && ::fsync(fd.get()) != 0) status = ErrnoStatus("fsync", tmp, errno);
  fd.Reset();
  if (status.ok()) status = Rename(tmp, rel);
  if (!status.ok()) (void)RemoveFile(tmp);
  return status;
}

Status BeneathFolder::Rename(std::string_view from, std::string_view to) const {
  const auto [from_parent, from_name] = SplitParent(from);
  const auto [to_parent, to_name] = SplitParent(to);
  EP_ASSIGN_OR_RETURN(BeneathFolder source, Folder(from_parent, false));
  EP_ASSIGN_OR_RETURN(BeneathFolder target, Folder(to_parent, false));
  const std::string f(from_name), t(to_name);
  if (f.empty() || t.empty() || f == "." || f == ".." || t == "." || t == "..") {
    return ErrnoStatus("rename", from, EINVAL);
  }
  if (::renameat(source.fd(), f.c_str(), target.fd(), t.c_str()) != 0) {
    return ErrnoStatus("rename to '" + Name(to) + "' the file", from, errno);
  }
  return Status::Ok();
}

Status BeneathFolder::RemoveFile(std::string_view rel) const {
  const auto [parent_rel, name] = SplitParent(rel);
  EP_ASSIGN_OR_RETURN(BeneathFolder parent, Folder(parent_rel, false));
  const std::string n(name);
  if (n.empty() || n == "." || n == "..") return ErrnoStatus("remove", rel, EINVAL);
  if (::unlinkat(parent.fd(), n.c_str(), 0) != 0) return ErrnoStatus("remove", rel, errno);
  return Status::Ok();
}

Status BeneathFolder::RemoveTree(std::string_view rel) const {
  const auto [parent_rel, name] = SplitParent(rel);
  Result<BeneathFolder> parent = Folder(parent_rel, false);
  if (parent.status().code() == StatusCode::kNotFound) return Status::Ok();
  if (!parent.ok()) return parent.status();
  const std::string n(name);
  if (n.empty() || n == "." || n == "..") return ErrnoStatus("remove", rel, EINVAL);
  struct stat st;
  if (::fstatat(parent->fd(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? Status::Ok() : ErrnoStatus("remove", rel, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(OpenatRetrying(parent->fd(), n.c_str(),
                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0));
    if (!sub.valid()) return ErrnoStatus("remove", rel, errno);
    EP_RETURN_IF_ERROR(RemoveContents(sub.get(), Name(rel)));
  }
  if (::unlinkat(parent->fd(), n.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
      errno != ENOENT) {
    return ErrnoStatus("remove", rel, errno);
  }
  return Status::Ok();
}

Status BeneathFolder::Sync() const {
  if (::fsync(fd_.get()) != 0) return ErrnoStatus("fsync folder", ".", errno);
  return Status::Ok();
}

std::optional<std::string> BeneathFolder::FindLink(std::string_view rel) const {
  std::vector<std::string> segments;
  if (!SplitSegments(rel, segments)) return std::nullopt;
  int current = fd_.get();
  UniqueFd owned;
  std::string prefix;
  for (const std::string& segment : segments) {
    prefix = Join(prefix, segment);
    struct stat st;
    if (::fstatat(current, segment.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode)) return prefix;
    if (!S_ISDIR(st.st_mode)) return std::nullopt;
    const int next = OpenatRetrying(current, segment.c_str(),
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (next < 0) return std::nullopt;
    owned = UniqueFd(next);
    current = next;
  }
  return std::nullopt;
}

}  // namespace ecompipe::storage
