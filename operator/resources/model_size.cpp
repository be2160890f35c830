#include "resources/model_size.h"

#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace resources {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The name's tokens, split at the separators GGUF file names use; a '.' between digits ("0.5b")
// stays inside its token.
std::vector<std::string> tokens(std::string_view name) {
  const std::string s = lower(name);
  const auto digit = [&s](size_t i) {
    return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
  };
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool separator = c == '-' || c == '_' || c == ' ' || c == '.';
    if (!separator || (c == '.' && i > 0 && digit(i - 1) && digit(i + 1))) {
      cur += c;
      continue;
    }
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// "7", "0.5", "1.5" at the start of `s`; how many characters it took in `used`.
std::optional<double> leading_number(const std::string& s, size_t& used) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0 || s[0] == '.') return std::nullopt;
  used = i;
  try {
    return std::stod(s.substr(0, i));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Parameters named by one token: "7b", "350m", "8x7b"; nullopt when the token is something
// else ("v0.2", "q4", "instruct").
std::optional<double> token_parameters(const std::string& t) {
  size_t used = 0;
  double experts = 1;
  std::string rest = t;
  if (const size_t x = t.find('x'); x != std::string::npos && x > 0) {
    const std::string head = t.substr(0, x);
    const std::optional<double> n = leading_number(head, used);
    if (!n || used != head.size()) return std::nullopt;
    experts = *n;
    rest = t.substr(x + 1);
  }
  const std::optional<double> n = leading_number(rest, used);
  if (!n || used + 1 != rest.size()) return std::nullopt;
  const char unit = rest.back();
  const double scale = unit == 'b' ? 1e9 : unit == 'm' ? 1e6 : unit == 't' ? 1e12 : 0;
  if (scale == 0) return std::nullopt;
  const double moe_sharing = experts > 1 ? 0.8 : 1.0;
  return experts * *n * scale * moe_sharing * 1.05;
}

std::optional<double> bits_per_weight(const std::vector<std::string>& toks) {
  struct Quant {
    std::string_view name;  // joined with '_' as in "q4_k_m"
    double bits;
  };
  static constexpr Quant kQuants[] = {
      {"f32", 32},       {"f16", 16},       {"bf16", 16},     {"q8_0", 8.5},    {"q6_k", 6.56},
      {"q5_k_m", 5.69},  {"q5_k_s", 5.54},  {"q5_1", 6.0},    {"q5_0", 5.5},    {"q4_k_m", 4.85},
      {"q4_k_s", 4.58},  {"q4_1", 5.0},     {"q4_0", 4.55},   {"q3_k_l", 4.27}, {"q3_k_m", 3.91},
      {"q3_k_s", 3.5},   {"q2_k", 3.35},    {"iq4_xs", 4.25}, {"iq4_nl", 4.5},  {"iq3_m", 3.66},
      {"iq3_s", 3.44},   {"iq3_xxs", 3.06}, {"iq2_m", 2.7},   {"iq2_s", 2.5},   {"iq2_xs", 2.31},
      {"iq2_xxs", 2.06}, {"iq1_m", 1.75},   {"iq1_s", 1.56},
  };
  // Quantization names span up to three tokens ("q4", "k", "m"); none is a prefix of another.
  for (size_t i = 0; i < toks.size(); ++i) {
    std::string joined;
    for (size_t n = 0; n < 3 && i + n < toks.size(); ++n) {
      joined += (n ? "_" : "") + toks[i + n];
      for (const Quant& q : kQuants) {
        if (q.name == joined) return q.bits;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

ModelSizeEstimate estimate_model_size(std::string_view file_name) {
  const std::vector<std::string> toks = tokens(file_name);
  std::optional<double> params;
  for (const std::string& t : toks) {
    if ((params = token_parameters(t))) break;
  }
  if (!params) return {kUnknownModelBytes, false};
  const double bits = bits_per_weight(toks).value_or(16.0);
  return {*params * bits / 8.0, true};
}

}  // namespace resources
