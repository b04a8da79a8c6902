#include "storage/local/folder_watcher.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "storage/local/local_folder_store.h"
#include "storage/object_store.h"

namespace ecompipe::storage {
namespace fs = std::filesystem;
namespace {

// IN_CREATE and IN_MOVED_FROM matter for folders only; IN_DONT_FOLLOW keeps a symlink from
// pulling a folder outside the root into the watch.
constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
constexpr size_t kEventBufferBytes = 64 * 1024;

// Lets Stop() recognise a call made from a callback, on the watcher's own thread.
thread_local const FolderWatcher* running_watcher = nullptr;

std::string Join(const std::string& rel_dir, std::string_view name) {
  return rel_dir.empty() ? std::string(name) : rel_dir + "/" + std::string(name);
}

constexpr char kLinkReason[] = "links_are_never_followed";

}  // namespace

FolderWatcher::FolderWatcher(fs::path root, KeyCallback on_key, OverflowCallback on_overflow)
    : root_(std::move(root)), on_key_(std::move(on_key)), on_overflow_(std::move(on_overflow)) {}

Result<std::unique_ptr<FolderWatcher>> FolderWatcher::Start(const fs::path& root,
                                                            KeyCallback on_key,
                                                            OverflowCallback on_overflow) {
  if (!on_key) return Status::InvalidArgument("FolderWatcher: no key callback");
  std::error_code ec;
  fs::path absolute_root = fs::absolute(root, ec);
  if (ec || !fs::is_directory(absolute_root, ec)) {
    return Status::NotFound("cannot watch " + root.string() + ": not an existing folder");
  }
  Result<BeneathFolder> folder = BeneathFolder::OpenRoot(absolute_root, /*create=*/false);
  if (!folder.ok()) {
    return Status::NotFound("cannot watch " + root.string() + ": " + folder.status().message());
  }
  std::unique_ptr<FolderWatcher> watcher(
      new FolderWatcher(std::move(absolute_root), std::move(on_key), std::move(on_overflow)));
  watcher->folder_.emplace(std::move(folder).value());
  EP_RETURN_IF_ERROR(watcher->Init());
  EP_RETURN_IF_ERROR(watcher->WatchTree("", /*report_files=*/false));
  try {
    watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  } catch (const std::system_error& e) {
    return Status::Unavailable(std::string("cannot start the folder watcher thread: ") + e.what());
  }
  return watcher;
}

Status FolderWatcher::Init() {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    const int err = errno;
    std::string message = std::string("cannot create an inotify instance: ") + std::strerror(err);
    if (err == EMFILE || err == ENFILE) {
      return Status::Unavailable(message + " (limit: /proc/sys/fs/inotify/max_user_instances)");
    }
    return Status::IoError(message);
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status::IoError(std::string("eventfd: ") + std::strerror(errno));
  return Status::Ok();
}

FolderWatcher::~FolderWatcher() {
  Stop();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void FolderWatcher::Stop() {
  if (!stop_requested_.exchange(true) && wake_fd_ >= 0) {
    const uint64_t one = 1;
    ssize_t n;
    do {
      n = ::write(wake_fd_, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
  }
  if (running_watcher == this) return;  // a callback: the thread ends when it returns
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

Status FolderWatcher::WatchTree(const std::string& rel_dir, bool report_files) {
  std::vector<std::string> pending = {rel_dir};
  while (!pending.empty()) {
    const std::string rel = std::move(pending.back());
    pending.pop_back();
    // Reached beneath the root without following links; a folder replaced by a link is
    // skipped, gone or replaced by a file is nothing to watch.
    Result<BeneathFolder> dir = folder_->Folder(rel, /*create=*/false);
    if (!dir.ok()) {
      if (rel.empty())
        return Status::IoError("cannot open the watched folder: " + dir.status().message());
      if (dir.status().code() == StatusCode::kInvalidArgument) {
        if (std::optional<std::string> link = folder_->FindLink(rel))
          LogSkippedLink(*link, kLinkReason);
        continue;
      }
      if (dir.status().code() == StatusCode::kNotFound) continue;
      return dir.status();
    }
    // The watch is added through the open descriptor, so it lands on exactly the folder that
    // was opened (a link swapped in meanwhile cannot redirect it). Without /proc, by path.
    const std::string fd_path = "/proc/self/fd/" + std::to_string(dir->fd());
    int wd = ::inotify_add_watch(inotify_fd_, fd_path.c_str(), kWatchMask & ~IN_DONT_FOLLOW);
    fs::path path = rel.empty() ? root_ : root_ / rel;
    if (wd < 0 && errno == ENOENT) {
      const uint32_t mask = rel.empty() ? kWatchMask & ~IN_DONT_FOLLOW : kWatchMask;
      wd = ::inotify_add_watch(inotify_fd_, path.c_str(), mask);
    }
    if (wd < 0) {
      const int err = errno;
      // Gone again, or replaced by a file, before we got to it: nothing to watch.
      if ((err == ENOENT || err == ENOTDIR) && !rel.empty()) continue;
      std::string message = "cannot watch folder " + path.string() + ": " + std::strerror(err);
      if (err == ENOSPC) {
        return Status::Unavailable(message + " (limit: /proc/sys/fs/inotify/max_user_watches)");
      }
      return Status::IoError(message);
    }
    folders_[wd] = rel;

    Result<std::vector<BeneathFolder::Entry>> entries = dir->Entries();
    if (!entries.ok()) continue;  // vanished meanwhile; its removal ends the watch
    for (const BeneathFolder::Entry& entry : *entries) {
      const std::string child = Join(rel, entry.name);
      switch (entry.type) {
        case BeneathFolder::EntryType::kFolder:
          if (entry.name != kStagingFolderName) pending.push_back(child);
          break;
        case BeneathFolder::EntryType::kLink:
          if (report_files && !IsTemporaryName(entry.name)) LogSkippedLink(child, kLinkReason);
          break;
        case BeneathFolder::EntryType::kFile:
          if (report_files && !IsTemporaryName(entry.name)) Report(child);
          break;
        case BeneathFolder::EntryType::kOther:
          break;
      }
    }
  }
  return Status::Ok();
}

void FolderWatcher::UnwatchTree(const std::string& rel_dir) {
  const std::string below = rel_dir + "/";
  for (auto it = folders_.begin(); it != folders_.end();) {
    if (it->second == rel_dir || it->second.starts_with(below)) {
      ::inotify_rm_watch(inotify_fd_, it->first);
      it = folders_.erase(it);
    } else {
      ++it;
    }
  }
}

void FolderWatcher::Report(const std::string& key) {
  if (stop_requested_.load()) return;
  if (!ValidateKey(key).ok()) return;
  on_key_(key);
}

void FolderWatcher::Run() {
  running_watcher = this;
  pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  // inotify_event records are aligned for their header; the buffer must be too.
  alignas(inotify_event) char buffer[kEventBufferBytes];
  while (!stop_requested_.load()) {
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      spdlog::error("Folder watcher stopped: poll failed. root={} error={}", root_.string(),
                    std::strerror(errno));
      break;
    }
    if (fds[1].revents != 0) break;
    if (fds[0].revents == 0) continue;
    for (;;) {
      const ssize_t n = ::read(inotify_fd_, buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          spdlog::error("Folder watcher cannot read inotify events. root={} error={}",
                        root_.string(), std::strerror(errno));
        }
        break;
      }
      if (n == 0) break;
      HandleEvents(buffer, static_cast<size_t>(n));
      if (stop_requested_.load()) break;
    }
  }
  running_watcher = nullptr;
}

void FolderWatcher::HandleEvents(const char* data, size_t size) {
  for (size_t offset = 0; offset + sizeof(inotify_event) <= size;) {
    const auto* event = reinterpret_cast<const inotify_event*>(data + offset);
    offset += sizeof(inotify_event) + event->len;
    if (stop_requested_.load()) return;

    if (event->mask & IN_Q_OVERFLOW) {
      // Events were dropped, folder creations among them: watch every folder again before
      // the owner rescans, so that nothing landing during its rescan is missed.
      Status status = WatchTree("", /*report_files=*/false);
      if (!status.ok()) {
        spdlog::warn("Folder watcher could not re-watch after an overflow. root={} error={}",
                     root_.string(), status.ToString());
      }
      if (on_overflow_ && !stop_requested_.load()) on_overflow_();
      continue;
    }
    if (event->mask & IN_IGNORED) {
      folders_.erase(event->wd);
      continue;
    }
    const auto folder = folders_.find(event->wd);
    if (folder == folders_.end() || event->len == 0) continue;
    const std::string_view name(event->name, ::strnlen(event->name, event->len));
    const std::string rel = Join(folder->second, name);

    if (event->mask & IN_ISDIR) {
      if (name == kStagingFolderName) continue;
      if (event->mask & (IN_CREATE | IN_MOVED_TO)) {
        // Files may land in the folder before its watch exists: the scan finds them.
        Status status = WatchTree(rel, /*report_files=*/true);
        if (!status.ok()) {
          spdlog::warn(
              "Folder watcher cannot watch a new folder; its files are seen only by a rescan. "
              "folder={} error={}",
              rel, status.ToString());
        }
      } else if (event->mask & IN_MOVED_FROM) {
        UnwatchTree(rel);
      }
      continue;
    }
    if ((event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)) == 0) continue;
    if (IsTemporaryName(std::string(name))) continue;
    // Not through a link: a link created or moved in (to a file or a folder) is logged and
    // left alone. Also skips files renamed or removed since the event.
    Result<struct stat> st = folder_->Stat(rel);
    if (!st.ok()) continue;
    if (S_ISLNK(st->st_mode)) {
      LogSkippedLink(rel, kLinkReason);
      continue;
    }
    // A plain IN_CREATE is a file still being written: its IN_CLOSE_WRITE reports it.
    if ((event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) == 0 || !S_ISREG(st->st_mode)) continue;
    Report(rel);
  }
}

}  // namespace ecompipe::storage
