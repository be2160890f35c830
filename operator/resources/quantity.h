// Kubernetes resource quantities ("8", "500m", "2Gi", "1.5G", "1e9", or a plain JSON number) as
// numbers in base units (cores, bytes). Doubles are exact enough here: they hold every integer
// up to 2^53 bytes (8 PiB).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace resources {

// The value of a quantity, or nullopt when the text is not one.
std::optional<double> parse_quantity(std::string_view text);
// A JSON quantity: a number, or a string as above.
std::optional<double> quantity_value(const nlohmann::json& value);

// Whole bytes for a byte quantity (rounded up, as Kubernetes does for fractional bytes).
std::optional<int64_t> quantity_bytes(const nlohmann::json& value);

}  // namespace resources
