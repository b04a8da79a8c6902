// BeneathFolder: a folder held open by a file descriptor, and the only way the local object
// store (storage/local/), its watcher and the S3 endpoint's side files reach the file system.
//
// Every path given to it is relative ("a/b.csv") and is resolved beneath the folder without
// following any symbolic link: not the final name, not a folder on the way. A link anywhere
// on the path makes the call fail with kInvalidArgument and a message naming the link (as a
// path relative to the folder, never a server path), so nothing outside the folder's real
// path can be read, listed or written through it, whatever links users place inside.
// Resolution uses openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) (Linux >= 5.6) and falls
// back to one openat(O_NOFOLLOW) per path segment where the kernel lacks openat2 (ENOSYS).
// Folders are created with mkdirat, files renamed with renameat and removed with unlinkat,
// always relative to a folder descriptor obtained this way.
//
// What it cannot see: a hard link is the file itself (another name of the same inode), so a
// hard link to a file outside the folder is indistinguishable from a file and is served.
// Creating one needs write access to the folder, as does placing a symlink.
//
// The folder itself is whatever the descriptor refers to: OpenRoot() follows links in the
// configured root path, once, so a bucket configured as a link to its real folder works, and
// the store keeps using that folder even if the path is later re-pointed.
//
// Thread-safety: a BeneathFolder is immutable after construction; all methods may be called
// from several threads at once.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ecompipe::storage {

// Owns a file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset();

 private:
  int fd_;
};

// Opens `rel` beneath the folder `dir_fd` with open(2) `flags` (O_CLOEXEC and O_NOFOLLOW are
// added), never following a symbolic link. Returns the descriptor, or -1 with errno set:
// ELOOP when a link is on the path, EINVAL when `rel` is empty, absolute or has an empty,
// "." or ".." segment, otherwise open(2)'s errno.
int OpenBeneath(int dir_fd, std::string_view rel, int flags, mode_t mode = 0);

// Tests only: makes OpenBeneath use the per-segment fallback, as on kernels without openat2.
void ForceOpenBeneathFallbackForTesting(bool force);

class BeneathFolder {
 public:
  enum class EntryType { kFile, kFolder, kLink, kOther };
  struct Entry {
    std::string name;
    EntryType type;
  };

  // Opens the folder at `path`, following links in `path` itself (the configured location),
  // creating it (and its parents) when `create`. kNotFound when missing, kIoError when not a
  // folder or on other errors. Messages of the folder's later calls name paths relative to it.
  static Result<BeneathFolder> OpenRoot(const std::filesystem::path& path, bool create);

  BeneathFolder(BeneathFolder&&) = default;
  BeneathFolder& operator=(BeneathFolder&&) = default;

  int fd() const { return fd_.get(); }
  // The folder's path relative to the root it was reached from ("" for a root), for messages.
  const std::string& display() const { return display_; }

  // The subfolder `rel` ("" for this folder itself), creating missing folders (mkdirat,
  // 0755) when `create`. kNotFound when missing and not created or when a segment is a
  // file, kInvalidArgument for a link on the way, kIoError on other errors.
  Result<BeneathFolder> Folder(std::string_view rel, bool create) const;

  // Opens the file `rel` (open(2) `flags`, `mode` for O_CREAT). kNotFound when missing,
  // kAlreadyExists for O_EXCL on an existing name, kInvalidArgument for a link, kIoError
  // otherwise.
  Result<UniqueFd> OpenFile(std::string_view rel, int flags, mode_t mode = 0644) const;

  // lstat(2) of `rel`: a final link is reported as S_IFLNK, not followed; a link on the way
  // is kInvalidArgument; kNotFound when missing.
  Result<struct stat> Stat(std::string_view rel) const;

  // The entries of the subfolder `rel` ("" for this one), "." and ".." left out, in no
  // particular order. Types come from readdir or fstatat(AT_SYMLINK_NOFOLLOW).
  Result<std::vector<Entry>> Entries(std::string_view rel = "") const;

  // The whole of a file of at most `max_bytes` (kInvalidArgument beyond). kNotFound when
  // missing.
  Result<std::string> ReadSmallFile(std::string_view rel, size_t max_bytes = 1 << 20) const;
  // Replaces `rel` by `text` atomically: written to a temporary name beside it, fsynced and
  // renamed (renameat) into place. The temporary file is removed on failure.
  Status WriteSmallFile(std::string_view rel, std::string_view text) const;

  // renameat(2) of `from` to `to`, both beneath this folder; `to` is replaced when it exists
  // (a link there is replaced, not followed).
  Status Rename(std::string_view from, std::string_view to) const;
  // unlinkat(2): removes a file or a link (never its target). kNotFound when missing.
  Status RemoveFile(std::string_view rel) const;
  // Removes the subfolder `rel` and everything in it, links removed as links. OK when missing.
  Status RemoveTree(std::string_view rel) const;
  // fsync(2) of the folder, so that renames into it survive a crash.
  Status Sync() const;

  // The first segment prefix of `rel` that is a symbolic link ("a/b" for "a/b/c.csv" when
  // "a/b" is one), or nullopt when there is none on the existing part of the path.
  std::optional<std::string> FindLink(std::string_view rel) const;

 private:
  BeneathFolder(UniqueFd fd, std::string display)
      : fd_(std::move(fd)), display_(std::move(display)) {}
  // "display/rel", for messages.
  std::string Name(std::string_view rel) const;
  Status ErrnoStatus(std::string_view what, std::string_view rel, int err) const;

  UniqueFd fd_;
  std::string display_;
};

}  // namespace ecompipe::storage
