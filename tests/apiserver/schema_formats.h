// The string formats kube-apiserver validates in custom resources. Formats outside its list
// (int32, int64, double, quantity, ...) are stripped from CRD schemas before validation, so they
// constrain nothing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fakeapi {

// The schema's `format` as written when the apiserver knows it ("date-time", "uuid", ...),
// otherwise "".
std::string supported_format(const nlohmann::json& schema);

// Whether `value` is in the (supported) format. Checked here: date-time, date, uuid, uuid3,
// uuid4, uuid5, byte, ipv4; the other supported formats (uri, email, hostname, ipv6, cidr, mac,
// isbn*, creditcard, ssn, hexcolor, rgbcolor, duration, bsonobjectid, password) accept any
// string in this fake.
bool format_matches(std::string_view format, std::string_view value);

}  // namespace fakeapi
