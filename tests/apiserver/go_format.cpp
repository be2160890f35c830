#include "go_format.h"

#include <charconv>
#include <cstdio>
#include <limits>
#include <string>

namespace fakeapi::gofmt {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 for an invalid sequence.
size_t decode_utf8(std::string_view s, size_t i, char32_t& out) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid in Go as well.
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  out = cp;
  return len;
}

// An approximation of unicode.IsPrint for non-ASCII code points: Go leaves letters, marks,
// numbers, punctuation and symbols alone and escapes spaces other than ' ', format characters,
// controls and private-use code points.
bool is_print_non_ascii(char32_t r) {
  if (r <= 0xA0 || r == 0xAD || r == 0x1680) return false;
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F)) return false;
  if ((r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF) return false;
  if ((r >= 0xE000 && r <= 0xF8FF) || (r >= 0xFFF9 && r <= 0xFFFB)) return false;
  if (r >= 0xF0000) return false;
  return true;
}

std::string hex(uint32_t v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*x", width, v);
  return buf;
}

}  // namespace

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    char32_t r = 0;
    const size_t n = decode_utf8(s, i, r);
    if (n == 0) {
      out += "\\x" + hex(static_cast<unsigned char>(s[i]), 2);
      ++i;
      continue;
    }
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (r >= 0x20 && r < 0x7F) {
      out += static_cast<char>(r);
    } else if (r >= 0x80 && is_print_non_ascii(r)) {
      out.append(s.substr(i, n));
    } else {
      switch (r) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r < 0x80) {
            out += "\\x" + hex(r, 2);
          } else if (r < 0x10000) {
            out += "\\u" + hex(r, 4);
          } else {
            out += "\\U" + hex(r, 8);
          }
      }
    }
    i += n;
  }
  out += '"';
  return out;
}

std::string format_float(double v) {
  if (v != v) return "NaN";
  if (v == std::numeric_limits<double>::infinity()) return "+Inf";
  if (v == -std::numeric_limits<double>::infinity()) return "-Inf";
  // The shortest digits that round-trip, in d.ddde±XX form: exactly Go's %e shape.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  // Go's 'g' with the shortest precision switches to %e below 1e-4 and from 1e6 up.
  if (exp < -4 || exp >= 6) return sci;
  std::string mantissa = sci.substr(0, e);
  const bool neg = mantissa[0] == '-';
  if (neg) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out = neg ? "-" : "";
  if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else {
    const auto int_len = static_cast<size_t>(exp + 1);
    if (digits.size() <= int_len) {
      out += digits + std::string(int_len - digits.size(), '0');
    } else {
      out += digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return out;
}

std::optional<int64_t> as_int64(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::string value_v(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (auto i = as_int64(v)) return std::to_string(*i);
  if (v.is_number()) return format_float(v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "<nil>";
  std::string out;
  if (v.is_object()) {
    out = "map[";
    bool first = true;
    for (const auto& [k, item] : v.items()) {  // nlohmann keeps keys sorted, as Go prints maps
      if (!first) out += ' ';
      first = false;
      out += k + ":" + value_v(item);
    }
  } else {
    out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ' ';
      out += value_v(v[i]);
    }
  }
  return out + "]";
}

namespace {
std::string sharp_v(const nlohmann::json& v, bool in_interface) {
  if (v.is_string()) return quote(v.get<std::string>());
  if (v.is_null()) return in_interface ? "interface {}(nil)" : "<nil>";
  if (v.is_object()) {
    std::string out = "map[string]interface {}{";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      if (!first) out += ", ";
      first = false;
      out += quote(k) + ":" + sharp_v(item, true);
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[]interface {}{";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ", ";
      out += sharp_v(v[i], true);
    }
    return out + "}";
  }
  return value_v(v);
}
}  // namespace

std::string value_sharp_v(const nlohmann::json& v) { return sharp_v(v, false); }

std::string type_name(const nlohmann::json& v) {
  if (v.is_string()) return "string";
  if (as_int64(v)) return "int64";
  if (v.is_number()) return "float64";
  if (v.is_boolean()) return "bool";
  if (v.is_null()) return "<nil>";
  if (v.is_object()) return "map[string]interface {}";
  return "[]interface {}";
}

}  // namespace fakeapi::gofmt
