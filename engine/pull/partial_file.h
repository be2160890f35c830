// A download in progress: DIR/.NAME.partial, and next to it DIR/.NAME.partial.json recording where
// its bytes came from (the URL, the file's identity on the server, the validator for If-Range,
// the total size), so that a later run resumes only what is still the same file. Committing
// fsyncs and renames it to its final name: a file under the final name is always whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "pull/sha256.h"

namespace engine::pull {

struct PartialOrigin {
  std::string url;
  std::string identity;   // X-Linked-Etag, ETag or Last-Modified; "" when unknown (no resume)
  std::string validator;  // for If-Range; "" when none
  std::uint64_t total_size = 0;  // 0 when unknown

  bool operator==(const PartialOrigin&) const = default;
};

// Writes all of `bytes` to `fd` or throws std::system_error; replaceable in tests.
using ChunkWriter = std::function<void(int fd, std::string_view bytes)>;
void write_all(int fd, std::string_view bytes);

class PartialFile {
 public:
  // Opens (or creates) DIR/.NAME.partial. Throws std::system_error.
  PartialFile(const std::filesystem::path& dir, const std::string& name, ChunkWriter writer);
  // An empty partial file is removed, with its record: nothing is left of a pull that got no byte.
  ~PartialFile();
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  // What the last restart() recorded; nullopt when missing or unreadable.
  std::optional<PartialOrigin> origin() const;

  // Empties the file and records where the next bytes come from.
  void restart(const PartialOrigin& origin);
  void append(std::string_view bytes);
  // Feeds the bytes held so far to `hasher`.
  void hash_into(Sha256& hasher) const;
  // fsync, rename to `final_path`, fsync the folder; the partial file and its record are gone.
  void commit(const std::filesystem::path& final_path);
  // Deletes the partial file and its record.
  void discard();

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
  std::filesystem::path origin_path_;
  ChunkWriter writer_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace engine::pull
