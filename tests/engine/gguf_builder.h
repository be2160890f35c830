// Builds GGUF bytes by hand for tests, independent of the engine's writer, so corrupt variants
// can be made field by field.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace testing_gguf {

class Builder {
 public:
  std::vector<uint8_t> bytes;

  template <typename T>
  Builder& pod(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof v);
    return *this;
  }
  Builder& str(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  Builder& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    return pod<uint32_t>(0x46554747).pod(version).pod(n_tensors).pod(n_kv);
  }
  Builder& kv_u32(const std::string& key, uint32_t v) { return str(key).pod<uint32_t>(4).pod(v); }
  Builder& kv_str(const std::string& key, const std::string& v) {
    return str(key).pod<uint32_t>(8).str(v);
  }
  // A tensor info: name, dims, type id, offset.
  Builder& tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type,
                  uint64_t offset) {
    str(name).pod<uint32_t>(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) pod(d);
    return pod(type).pod(offset);
  }
  Builder& align(size_t a = 32) {
    while (bytes.size() % a) bytes.push_back(0);
    return *this;
  }
  Builder& zeros(size_t n) {
    bytes.insert(bytes.end(), n, 0);
    return *this;
  }
};

}  // namespace testing_gguf
