#include "pull/partial_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

namespace engine::pull {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void fsync_folder(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("open " + dir.string());
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems (and some network mounts) refuse fsync on folders; the rename stands.
  if (rc != 0 && err != EINVAL && err != EROFS) {
    throw std::system_error(err, std::generic_category(), "fsync " + dir.string());
  }
}

}  // namespace

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

PartialFile::PartialFile(const std::filesystem::path& dir, const std::string& name,
                         ChunkWriter writer)
    : dir_(dir),
      path_(dir / ("." + name + ".partial")),
      origin_path_(dir / ("." + name + ".partial.json")),
      writer_(writer ? std::move(writer) : ChunkWriter(write_all)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("open " + path_.string());
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) {
    const int err = errno;
    ::close(fd_);
    throw std::system_error(err, std::generic_category(), "seek " + path_.string());
  }
  size_ = static_cast<std::uint64_t>(end);
}

PartialFile::~PartialFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (size_ == 0) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    std::filesystem::remove(origin_path_, ignored);
  }
}

std::optional<PartialOrigin> PartialFile::origin() const {
  std::ifstream in(origin_path_);
  if (!in) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    return PartialOrigin{j.at("url").get<std::string>(), j.at("identity").get<std::string>(),
                         j.at("validator").get<std::string>(),
                         j.at("total_size").get<std::uint64_t>()};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void PartialFile::restart(const PartialOrigin& origin) {
  if (::ftruncate(fd_, 0) != 0) throw_errno("truncate " + path_.string());
  if (::lseek(fd_, 0, SEEK_SET) < 0) throw_errno("seek " + path_.string());
  size_ = 0;
  // Written aside and renamed, so that a crash leaves the old record or the new one.
  const std::filesystem::path tmp = origin_path_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"url", origin.url},
                          {"identity", origin.identity},
                          {"validator", origin.validator},
                          {"total_size", origin.total_size}}
               .dump();
    if (!out.flush()) {
      throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(),
                              "write " + tmp.string());
    }
  }
  std::filesystem::rename(tmp, origin_path_);
}

void PartialFile::append(std::string_view bytes) {
  try {
    writer_(fd_, bytes);
    size_ += bytes.size();
  } catch (...) {
    // Part of the bytes may have landed; the file's end is what counts.
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end >= 0) size_ = static_cast<std::uint64_t>(end);
    throw;
  }
}

void PartialFile::hash_into(Sha256& hasher) const {
  std::vector<char> buffer(1 << 20);
  std::uint64_t offset = 0;
  while (offset < size_) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size_ - offset));
    const ssize_t n = ::pread(fd_, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + path_.string());
    if (n == 0) throw std::system_error(EIO, std::generic_category(), path_.string() + " shrank");
    hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    offset += static_cast<std::uint64_t>(n);
  }
}

void PartialFile::commit(const std::filesystem::path& final_path) {
  if (::fsync(fd_) != 0) throw_errno("fsync " + path_.string());
  std::filesystem::rename(path_, final_path);
  ::close(fd_);
  fd_ = -1;
  fsync_folder(dir_);
  std::error_code ignored;
  std::filesystem::remove(origin_path_, ignored);
}

void PartialFile::discard() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  std::filesystem::remove(origin_path_, ignored);
  if (::ftruncate(fd_, 0) == 0) size_ = 0;
}

}  // namespace engine::pull
