#include "gguf/gguf_value.h"

#include <limits>
#include <sstream>

namespace engine {

std::string_view gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::UINT8: return "u8";
    case GgufType::INT8: return "i8";
    case GgufType::UINT16: return "u16";
    case GgufType::INT16: return "i16";
    case GgufType::UINT32: return "u32";
    case GgufType::INT32: return "i32";
    case GgufType::FLOAT32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "str";
    case GgufType::ARRAY: return "arr";
    case GgufType::UINT64: return "u64";
    case GgufType::INT64: return "i64";
    case GgufType::FLOAT64: return "f64";
  }
  return "?";
}

bool gguf_type_known(uint32_t type) { return type <= static_cast<uint32_t>(GgufType::FLOAT64); }

std::optional<int64_t> GgufValue::as_int() const {
  if (const auto* u = std::get_if<uint64_t>(&data_)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&data_)) return *i;
  return std::nullopt;
}

std::optional<double> GgufValue::as_number() const {
  if (const auto* d = std::get_if<double>(&data_)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&data_)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&data_)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
  if (const auto* b = std::get_if<bool>(&data_)) return *b;
  return std::nullopt;
}

const std::string* GgufValue::as_string() const { return std::get_if<std::string>(&data_); }

const GgufArray* GgufValue::as_array() const { return std::get_if<GgufArray>(&data_); }

std::string GgufValue::to_display_string(size_t max_items) const {
  std::ostringstream out;
  if (const auto* s = as_string()) {
    const size_t limit = 120;
    out << '"' << (s->size() > limit ? s->substr(0, limit) + "..." : *s) << '"';
  } else if (const auto* a = as_array()) {
    out << '[';
    for (size_t i = 0; i < a->items.size() && i < max_items; ++i) {
      out << (i ? ", " : "") << a->items[i].to_display_string(max_items);
    }
    if (a->items.size() > max_items) out << ", ... (" << a->items.size() << " items)";
    out << ']';
  } else if (const auto b = as_bool()) {
    out << (*b ? "true" : "false");
  } else if (const auto* d = std::get_if<double>(&data_)) {
    out << *d;
  } else if (auto i = as_int()) {
    out << *i;
  } else {
    out << std::get<uint64_t>(data_);
  }
  return out.str();
}

}  // namespace engine
