// Small helpers on objects as JSON: metadata fields, timestamps and uids as the API server
// writes them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace fakeapi {

// RFC 3339 UTC with seconds, as metav1.Time serializes: "2026-11-22T10:50:05Z".
std::string now_rfc3339();
// A random (version 4) UUID.
std::string new_uid();

std::string meta_string(const nlohmann::json& obj, const char* field);
const nlohmann::json& meta_field(const nlohmann::json& obj, const char* field);  // null if absent
uint64_t resource_version_of(const nlohmann::json& obj);  // 0 when absent or not a number

// Parses a resourceVersion parameter; nothing when it is not a non-negative integer.
std::optional<uint64_t> parse_revision(const std::string& text);

// base64 (standard alphabet with padding) and base64url without padding.
std::string base64_encode(const std::string& data, bool url = false);
std::optional<std::string> base64_decode(const std::string& text);

}  // namespace fakeapi
