// One validation failure as kube-apiserver reports it: a metav1.StatusCause built from a
// k8s.io/apimachinery field.Error. The constructors mirror field.Required, field.Invalid, ... so
// that `message` is field.Error.ErrorBody() byte for byte ("Required value",
// `Invalid value: -1: spec.replicas in body should be ...`, `Unsupported value: "x": supported
// values: "a", "b"`, "Too long: may not be more than 16 bytes").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace fakeapi {

struct Cause {
  std::string reason;   // metav1.CauseType: FieldValueRequired, FieldValueInvalid, ...
  std::string message;  // field.Error.ErrorBody(): the error without its field path
  std::string field;    // field.Error.Field: "spec.model.uri", "spec.list[0]", ".spec.replicas"

  friend bool operator==(const Cause&, const Cause&) = default;
};

// "field: message", the form the Status message aggregates.
std::string to_string(const Cause& c);
std::ostream& operator<<(std::ostream& os, const Cause& c);  // for gtest failure output

// The field path of a nil *field.Path, which is what schema errors without a name (anyOf,
// oneOf, ...) end up with in the real apiserver.
inline constexpr std::string_view kNilField = "<nil>";

Cause required(std::string field, std::string_view detail = "");
Cause forbidden(std::string field, std::string_view detail);
Cause invalid(std::string field, const nlohmann::json& value, std::string_view detail);
Cause type_invalid(std::string field, const nlohmann::json& value, std::string_view detail);
Cause not_supported(std::string field, const nlohmann::json& value,
                    const std::vector<std::string>& supported);
// field.TooLong: the value is not printed; max_length < 0 means unknown.
Cause too_long(std::string field, int64_t max_length);
// field.TooMany: actual < 0 leaves the count out; max_items < 0 means unknown.
Cause too_many(std::string field, int64_t actual, int64_t max_items);

}  // namespace fakeapi
