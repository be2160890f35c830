#include "pull/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pull/pull_error.h"

namespace engine::pull {

FileLock::FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw PullError(PullFailure::kFilesystem,
                    "cannot open the lock file " + path.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  if (errno == EWOULDBLOCK && on_wait) on_wait();
  int rc;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    throw PullError(PullFailure::kFilesystem,
                    "cannot lock " + path.string() + ": " + std::strerror(err));
  }
}

FileLock::~FileLock() { ::close(fd_); }

}  // namespace engine::pull
