// Go's fmt and strconv formatting of decoded JSON values, as kube-apiserver prints them in error
// messages: %q (strconv.Quote), %v, %#v and %T of what encoding/json puts in an
// `interface{}` (int64 for integral numbers, float64 otherwise, string, bool, nil,
// map[string]interface{}, []interface{}).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace fakeapi::gofmt {

// strconv.Quote: double-quoted with Go escapes. Non-ASCII code points count as printable except
// the C1 controls and a few invisible format characters (Go uses unicode.IsPrint, which this
// approximates); invalid UTF-8 bytes become \xNN.
std::string quote(std::string_view s);

// %v of a float64: strconv.FormatFloat(v, 'g', -1, 64), e.g. 0.5, 4, 1e+06, 1.5e-07.
std::string format_float(double v);

// The integer a JSON number decodes to in Go (int64), or nothing when it decodes to float64
// (fractional, exponent form as nlohmann parsed it, or beyond int64).
std::optional<int64_t> as_int64(const nlohmann::json& v);

// %v: strings raw, numbers and bools plain, null "<nil>", map[k:v ...] and [a b].
std::string value_v(const nlohmann::json& v);

// %#v: Go-syntax; strings quoted, map[string]interface {}{"k":v}, []interface {}{a, b}.
std::string value_sharp_v(const nlohmann::json& v);

// %T: string, int64, float64, bool, <nil>, map[string]interface {}, []interface {}.
std::string type_name(const nlohmann::json& v);

}  // namespace fakeapi::gofmt
