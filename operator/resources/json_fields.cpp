#include "resources/json_fields.h"

namespace resources {

SpecError::SpecError(std::string field, const std::string& message)
    : std::invalid_argument(field + ": " + message), field_(std::move(field)) {}

const nlohmann::json* find_field(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* node = &root;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string_view step =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!node->is_object()) {
      throw SpecError(std::string(path.substr(0, start == 0 ? 0 : start - 1)),
                      "must be an object, got " + std::string(node->type_name()));
    }
    const auto it = node->find(step);
    if (it == node->end() || it->is_null()) return nullptr;
    node = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return node;
}

namespace {

[[noreturn]] void wrong_type(std::string_view path, const char* wanted, const nlohmann::json& v) {
  throw SpecError(std::string(path),
                  std::string("must be ") + wanted + ", got " + std::string(v.type_name()));
}

}  // namespace

std::optional<std::string> string_field(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* v = find_field(root, path);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(path, "a string", *v);
  return v->get<std::string>();
}

std::optional<int64_t> integer_field(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* v = find_field(root, path);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  // YAML and JSON writers sometimes give whole numbers as 2.0.
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  wrong_type(path, "an integer", *v);
}

std::optional<double> number_field(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* v = find_field(root, path);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong_type(path, "a number", *v);
  return v->get<double>();
}

const nlohmann::json* object_field(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* v = find_field(root, path);
  if (v && !v->is_object()) wrong_type(path, "an object", *v);
  return v;
}

const nlohmann::json* array_field(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* v = find_field(root, path);
  if (v && !v->is_array()) wrong_type(path, "an array", *v);
  return v;
}

std::string object_name(const nlohmann::json& obj) {
  const std::optional<std::string> name = string_field(obj, "metadata.name");
  if (!name || name->empty()) throw SpecError("metadata.name", "is required");
  return *name;
}

const nlohmann::json& member(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json null;
  if (!object.is_object()) return null;
  const auto it = object.find(key);
  return it == object.end() ? null : *it;
}

std::string member_text(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

}  // namespace resources
