// An exclusive flock(2) on a lock file, held for the object's life: pulls of one file into one
// folder (pods sharing a volume) take turns.
#pragma once

#include <filesystem>
#include <functional>

namespace engine::pull {

class FileLock {
 public:
  // Creates the lock file when missing and blocks until the lock is held; `on_wait` runs once
  // first when another process holds it. Throws PullError (kFilesystem) when it cannot.
  FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace engine::pull
