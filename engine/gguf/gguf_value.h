// One GGUF metadata value: a typed scalar, a string, or a typed array of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace engine {

enum class GgufType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

std::string_view gguf_type_name(GgufType type);
bool gguf_type_known(uint32_t type);

class GgufValue;

struct GgufArray {
  GgufType element_type = GgufType::UINT8;
  std::vector<GgufValue> items;
};

class GgufValue {
 public:
  GgufValue() = default;
  static GgufValue u32(uint32_t v) { return {GgufType::UINT32, static_cast<uint64_t>(v)}; }
  static GgufValue i32(int32_t v) { return {GgufType::INT32, static_cast<int64_t>(v)}; }
  static GgufValue u64(uint64_t v) { return {GgufType::UINT64, v}; }
  static GgufValue f32(float v) { return {GgufType::FLOAT32, static_cast<double>(v)}; }
  static GgufValue boolean(bool v) { return {GgufType::BOOL, v}; }
  static GgufValue string(std::string v) { return {GgufType::STRING, std::move(v)}; }
  static GgufValue array(GgufType element_type, std::vector<GgufValue> items) {
    return {GgufType::ARRAY, GgufArray{element_type, std::move(items)}};
  }
  // Builds a value of any scalar type from its widened representation.
  using Storage = std::variant<uint64_t, int64_t, double, bool, std::string, GgufArray>;
  GgufValue(GgufType type, Storage data) : type_(type), data_(std::move(data)) {}

  GgufType type() const { return type_; }
  // Integer types (signed or unsigned) as int64; nullopt for other types or out-of-range u64.
  std::optional<int64_t> as_int() const;
  // Integer or float types as double.
  std::optional<double> as_number() const;
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  const GgufArray* as_array() const;
  // For `info`: a short human-readable rendering (long arrays are abbreviated).
  std::string to_display_string(size_t max_items = 8) const;

 private:
  GgufType type_ = GgufType::UINT8;
  Storage data_ = uint64_t{0};
};

}  // namespace engine
