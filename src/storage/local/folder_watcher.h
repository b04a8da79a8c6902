// FolderWatcher: reports files that land in a local bucket folder, using inotify: the local
// bucket's event source (storage/event_source.h).
//
// A file is reported, by its key relative to the root, when a writer closes it after writing
// (IN_CLOSE_WRITE) or when it is renamed or moved into the tree (IN_MOVED_TO), which is how
// LocalFolderStore::Put() and most downloaders finish a file. Temporary names
// (IsTemporaryName), anything under a ".ecompipe-tmp" folder, non-regular files and paths
// that are not valid keys are ignored.
//
// The whole tree is watched: folders existing at Start() and folders created or moved in
// later. A new folder is scanned right after its watch is added, and every regular file
// found is reported, since a file written before the watch existed produces no event.
// Consequences the owner must accept (it deduplicates by ETag anyway):
//   - a key may be reported more than once;
//   - a file that is still being written inside a brand-new folder may be reported by that
//     scan before it is complete; it is reported again when its writer closes it.
// When the kernel's event queue overflows (IN_Q_OVERFLOW), events were lost: `on_overflow`
// is called and the owner must rescan the bucket (List). Watches are re-established first.
//
// Not reported: deletions, and events before Start() returned (rescan at start-up).
//
// Symbolic links are never followed (as in LocalFolderStore): the root is opened once at
// Start() (it may itself be a link, resolved then), every folder is reached beneath it with
// BeneathFolder and watched through its open descriptor, and a link created or moved into
// the tree, to a file or a folder, is not reported but logged: "Skipped a symbolic link.
// key=… reason=…". A folder replaced by a link stops being watched.
//
// Thread-safety: callbacks run on the watcher's own thread, one at a time, in event order;
// they must not throw and should return quickly (a slow callback lets the queue overflow).
// Stop() may be called from any thread, including from a callback (it then returns without
// waiting). The destructor stops the watcher and must not run on the watcher's thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/status.h"
#include "storage/event_source.h"
#include "storage/local/beneath_folder.h"

namespace ecompipe::storage {

class FolderWatcher final : public EventSource {
 public:
  using KeyCallback = std::function<void(const std::string& key)>;
  using OverflowCallback = std::function<void()>;

  // Watches `root` (which must be an existing folder) and its subfolders, then starts the
  // watcher thread. Every file completed after Start() returns is reported. Errors:
  // kNotFound for a missing root, kUnavailable when the inotify instance or watch limits are
  // reached (see /proc/sys/fs/inotify/), kIoError otherwise.
  static Result<std::unique_ptr<FolderWatcher>> Start(const std::filesystem::path& root,
                                                      KeyCallback on_key,
                                                      OverflowCallback on_overflow);

  ~FolderWatcher() override;
  FolderWatcher(const FolderWatcher&) = delete;
  FolderWatcher& operator=(const FolderWatcher&) = delete;

  // Ends the watcher thread and waits for it (unless called on that thread). No callback
  // starts after Stop() returns. Idempotent.
  void Stop() override;

  const std::filesystem::path& root() const { return root_; }

 private:
  FolderWatcher(std::filesystem::path root, KeyCallback on_key, OverflowCallback on_overflow);

  Status Init();
  // Adds watches for `rel_dir` (relative to the root, "" for the root) and every folder
  // below it. With `report_files`, reports the regular files found on the way.
  Status WatchTree(const std::string& rel_dir, bool report_files);
  void UnwatchTree(const std::string& rel_dir);
  void Run();
  void HandleEvents(const char* data, size_t size);
  void Report(const std::string& key);

  const std::filesystem::path root_;
  std::optional<BeneathFolder> folder_;  // the root, opened once by Start()
  const KeyCallback on_key_;
  const OverflowCallback on_overflow_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd written by Stop()

  // Watch descriptor -> folder relative to the root. Only touched by the watcher thread
  // (and by Start() before the thread exists).
  std::unordered_map<int, std::string> folders_;

  std::atomic<bool> stop_requested_{false};
  std::mutex join_mu_;
  std::thread thread_;  // guarded by join_mu_ once Start() has returned
};

}  // namespace ecompipe::storage
