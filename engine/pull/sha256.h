// SHA-256 over data that arrives in pieces (OpenSSL EVP), and its lowercase hex form.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace engine::pull {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  // The digest of everything so far, as 64 lowercase hex digits; the hasher can go on after it.
  std::string hex() const;

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// The digest of a whole file. Throws std::system_error when it cannot be read.
std::string sha256_of_file(const std::filesystem::path& path);

// 64 hex digits, either case.
bool is_sha256_hex(std::string_view text);

// An ETag or X-Linked-Etag value that is a sha256 (quotes and a W/ prefix removed), lowercased;
// "" when it is something else.
std::string sha256_from_etag(std::string_view etag);

}  // namespace engine::pull
