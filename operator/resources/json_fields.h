// Typed reads of optional fields in Kubernetes objects (nlohmann::json), addressed by dotted
// paths such as "spec.model.uri". An absent field or a JSON null reads as "not set"; a field of
// the wrong type is a SpecError naming the path, so a malformed object never surfaces as an
// nlohmann type_error deep inside a builder.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace resources {

class SpecError : public std::invalid_argument {
 public:
  SpecError(std::string field, const std::string& message);
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// The value at `path`, or nullptr when a step is missing or null. Throws SpecError when a step
// before the last is not an object.
const nlohmann::json* find_field(const nlohmann::json& root, std::string_view path);

std::optional<std::string> string_field(const nlohmann::json& root, std::string_view path);
std::optional<int64_t> integer_field(const nlohmann::json& root, std::string_view path);
std::optional<double> number_field(const nlohmann::json& root, std::string_view path);
// An object or array at `path` (nullptr when unset); anything else is a SpecError.
const nlohmann::json* object_field(const nlohmann::json& root, std::string_view path);
const nlohmann::json* array_field(const nlohmann::json& root, std::string_view path);

// Lenient reads of what the cluster reports (statuses, pods, EndpointSlices), where an odd shape
// means "not reported" rather than an error: the member `key` of an object, or a null JSON value;
// its text, or "" unless it is a string.
const nlohmann::json& member(const nlohmann::json& object, std::string_view key);
std::string member_text(const nlohmann::json& object, std::string_view key);

// metadata.name, which every builder needs: a SpecError when missing or empty.
std::string object_name(const nlohmann::json& obj);

}  // namespace resources
