// The ggml tensor types as GGUF files number them, and the block layout of each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace engine {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
};

struct TypeInfo {
  std::string_view name;  // as ggml names it: "q4_K", "f16", ...
  int64_t block_size;     // elements per block
  size_t block_bytes;     // bytes per block
  bool supported;         // this engine can dequantize and multiply it
};

// Known type ids only; an unknown id from a file yields nullopt.
std::optional<TypeInfo> type_info(uint32_t type_id);
const TypeInfo& type_info(GgmlType type);
std::optional<GgmlType> type_from_name(std::string_view name);  // case-insensitive

// Bytes of a row of n elements; n must be a multiple of the block size.
size_t row_bytes(GgmlType type, int64_t n);

}  // namespace engine
