#include "tensor/ggml_type.h"

#include <array>
#include <cctype>
#include <stdexcept>
#include <string>

namespace engine {

namespace {

struct TypeEntry {
  GgmlType type;
  TypeInfo info;
};

// Block sizes and bytes as ggml defines them, so sizes computed from a GGUF header are right even
// for the types this engine cannot multiply. Q8_K is only ever an activation format here, so it is
// not a supported weight type although quantize_row handles it.
constexpr std::array<TypeEntry, 15> kTypes = {{
    {GgmlType::F32, {"f32", 1, 4, true}},
    {GgmlType::F16, {"f16", 1, 2, true}},
    {GgmlType::Q4_0, {"q4_0", 32, 18, true}},
    {GgmlType::Q4_1, {"q4_1", 32, 20, false}},
    {GgmlType::Q5_0, {"q5_0", 32, 22, false}},
    {GgmlType::Q5_1, {"q5_1", 32, 24, false}},
    {GgmlType::Q8_0, {"q8_0", 32, 34, true}},
    {GgmlType::Q8_1, {"q8_1", 32, 36, false}},
    {GgmlType::Q2_K, {"q2_K", 256, 84, false}},
    {GgmlType::Q3_K, {"q3_K", 256, 110, false}},
    {GgmlType::Q4_K, {"q4_K", 256, 144, true}},
    {GgmlType::Q5_K, {"q5_K", 256, 176, true}},
    {GgmlType::Q6_K, {"q6_K", 256, 210, true}},
    {GgmlType::Q8_K, {"q8_K", 256, 292, false}},
    {GgmlType::BF16, {"bf16", 1, 2, false}},
}};

const TypeEntry* find(uint32_t id) {
  for (const TypeEntry& e : kTypes) {
    if (static_cast<uint32_t>(e.type) == id) return &e;
  }
  return nullptr;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<TypeInfo> type_info(uint32_t type_id) {
  const TypeEntry* e = find(type_id);
  if (!e) return std::nullopt;
  return e->info;
}

const TypeInfo& type_info(GgmlType type) {
  const TypeEntry* e = find(static_cast<uint32_t>(type));
  if (!e) {
    throw std::invalid_argument("unknown ggml type id " +
                                std::to_string(static_cast<uint32_t>(type)));
  }
  return e->info;
}

std::optional<GgmlType> type_from_name(std::string_view name) {
  for (const TypeEntry& e : kTypes) {
    if (iequals(e.info.name, name)) return e.type;
  }
  return std::nullopt;
}

size_t row_bytes(GgmlType type, int64_t n) {
  const TypeInfo& info = type_info(type);
  if (n < 0 || n % info.block_size != 0) {
    throw std::invalid_argument("a row of " + std::to_string(n) + " elements is not a whole " +
                                "number of " + std::string(info.name) + " blocks of " +
                                std::to_string(info.block_size));
  }
  return static_cast<size_t>(n / info.block_size) * info.block_bytes;
}

}  // namespace engine
