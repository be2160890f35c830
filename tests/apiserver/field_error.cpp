#include "field_error.h"

#include "go_format.h"

namespace fakeapi {
namespace {

// How field.Error.ErrorBody prints a bad value: nil as the quoted word null, strings quoted,
// numbers and bools plain, maps and slices in Go syntax.
std::string bad_value(const nlohmann::json& v) {
  if (v.is_null()) return gofmt::quote("null");
  if (v.is_string()) return gofmt::quote(v.get<std::string>());
  if (v.is_object() || v.is_array()) return gofmt::value_sharp_v(v);
  return gofmt::value_v(v);
}

Cause with_value(std::string reason, std::string_view type, std::string field,
                 const nlohmann::json& value, std::string_view detail) {
  std::string msg = std::string(type) + ": " + bad_value(value);
  if (!detail.empty()) msg += ": " + std::string(detail);
  return {std::move(reason), std::move(msg), std::move(field)};
}

Cause without_value(std::string reason, std::string_view type, std::string field,
                    std::string_view detail) {
  std::string msg(type);
  if (!detail.empty()) msg += ": " + std::string(detail);
  return {std::move(reason), std::move(msg), std::move(field)};
}

}  // namespace

std::string to_string(const Cause& c) { return c.field + ": " + c.message; }

std::ostream& operator<<(std::ostream& os, const Cause& c) {
  return os << "{" << c.reason << ", " << to_string(c) << "}";
}

Cause required(std::string field, std::string_view detail) {
  return without_value("FieldValueRequired", "Required value", std::move(field), detail);
}

Cause forbidden(std::string field, std::string_view detail) {
  return without_value("FieldValueForbidden", "Forbidden", std::move(field), detail);
}

Cause invalid(std::string field, const nlohmann::json& value, std::string_view detail) {
  return with_value("FieldValueInvalid", "Invalid value", std::move(field), value, detail);
}

Cause type_invalid(std::string field, const nlohmann::json& value, std::string_view detail) {
  return with_value("FieldValueTypeInvalid", "Invalid value", std::move(field), value, detail);
}

Cause not_supported(std::string field, const nlohmann::json& value,
                    const std::vector<std::string>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) detail += ", ";
      detail += gofmt::quote(supported[i]);
    }
  }
  return with_value("FieldValueNotSupported", "Unsupported value", std::move(field), value, detail);
}

Cause too_long(std::string field, int64_t max_length) {
  std::string detail = "value is too long";
  if (max_length >= 0) {
    detail = "may not be more than " + std::to_string(max_length) +
             (max_length == 1 ? " byte" : " bytes");
  }
  return without_value("FieldValueTooLong", "Too long", std::move(field), detail);
}

Cause too_many(std::string field, int64_t actual, int64_t max_items) {
  std::string detail = "has too many items";
  if (max_items >= 0) {
    detail =
        "must have at most " + std::to_string(max_items) + (max_items == 1 ? " item" : " items");
  }
  if (actual < 0) return without_value("FieldValueTooMany", "Too many", std::move(field), detail);
  return with_value("FieldValueTooMany", "Too many", std::move(field), actual, detail);
}

}  // namespace fakeapi
