#include "prometheus/text_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

namespace prom {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Metric names may hold colons (recording rules, vllm:*); label names may not.
bool is_name_start(char c, bool colon) { return is_letter(c) || c == '_' || (colon && c == ':'); }
bool is_name_char(char c, bool colon) { return is_name_start(c, colon) || is_digit(c); }

// Label values must be UTF-8; overlong forms, surrogates and code points past U+10FFFF are not.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < 0x80 || c > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// A value as Go's strconv.ParseFloat reads it for Prometheus: decimal or exponent notation, an
// optional sign, Inf/Infinity/NaN in any case.
std::optional<double> parse_value(std::string_view t) {
  bool negative = false;
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  if (t.empty() || t.front() == '+' || t.front() == '-') return std::nullopt;
  // from_chars also takes "nan(chars)", which Go does not.
  if (t.find('(') != std::string_view::npos) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return negative ? -v : v;
}

std::optional<std::int64_t> parse_timestamp(std::string_view t) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

// Shown in messages: bounded, so a huge garbage line does not make a huge message.
std::string excerpt(std::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kMax)) + "...'";
}

std::string describe_char(char c) {
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
    constexpr char kHex[] = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(c);
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
  }
  return std::string("'") + c + "'";
}

// One line, read left to right; every failure names the line.
class LineParser {
 public:
  LineParser(std::string_view line, size_t number) : s_(line), number_(number) {}

  // A comment, # HELP or # TYPE; the caller has seen the '#'.
  void metadata() {
    ++pos_;
    skip_blanks();
    const std::string_view keyword = token();
    if (keyword != "HELP" && keyword != "TYPE") return;  // any other comment
    skip_blanks();
    const size_t start = pos_;
    const std::string_view metric = name(true);
    if (metric.empty() || (pos_ < s_.size() && !is_blank(s_[pos_]))) {
      pos_ = start;
      const std::string_view written = token();
      fail(written.empty()
               ? "# " + std::string(keyword) + " needs a metric name"
               : "invalid metric name " + excerpt(written) + " in # " + std::string(keyword));
    }
    if (keyword == "HELP") return;  // the docstring is free text
    skip_blanks();
    const std::string_view type = token();
    static constexpr std::array<std::string_view, 5> kTypes = {"counter", "gauge", "histogram",
                                                               "summary", "untyped"};
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
      fail(type.empty() ? "# TYPE " + std::string(metric) + " needs a type"
                        : "unknown metric type " + excerpt(type) +
                              " (counter, gauge, histogram, "
                              "summary or untyped)");
    }
    skip_blanks();
    if (pos_ < s_.size()) fail("unexpected text after the type: " + excerpt(s_.substr(pos_)));
  }

  Sample sample() {
    Sample out;
    out.name = name(true);
    if (out.name.empty()) fail("expected a metric name, got " + describe_char(s_[pos_]));
    const size_t after_name = pos_;
    skip_blanks();
    if (pos_ < s_.size() && s_[pos_] == '{') {
      labels(out.labels);
      skip_blanks();
    } else if (pos_ == after_name && pos_ < s_.size()) {
      fail("unexpected " + describe_char(s_[pos_]) + " after the metric name " + excerpt(out.name));
    }
    const std::string_view value = token();
    if (value.empty()) fail("missing value for " + excerpt(out.name));
    const std::optional<double> v = parse_value(value);
    if (!v) fail("invalid value " + excerpt(value) + " for " + excerpt(out.name));
    out.value = *v;
    skip_blanks();
    if (pos_ < s_.size()) {
      const std::string_view ts = token();
      out.timestamp_ms = parse_timestamp(ts);
      if (!out.timestamp_ms) {
        fail("invalid timestamp " + excerpt(ts) + " (integer milliseconds expected)");
      }
      skip_blanks();
      if (pos_ < s_.size())
        fail("unexpected text after the timestamp: " + excerpt(s_.substr(pos_)));
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ParseError(number_, what); }

  void skip_blanks() {
    while (pos_ < s_.size() && is_blank(s_[pos_])) ++pos_;
  }

  // Up to the next blank.
  std::string_view token() {
    const size_t start = pos_;
    while (pos_ < s_.size() && !is_blank(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  // A name at the cursor; empty when none starts there.
  std::string_view name(bool colon) {
    const size_t start = pos_;
    if (pos_ < s_.size() && is_name_start(s_[pos_], colon)) {
      while (pos_ < s_.size() && is_name_char(s_[pos_], colon)) ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

  void expect(char c, const std::string& context) {
    if (pos_ >= s_.size()) fail("unexpected end of line " + context);
    if (s_[pos_] != c)
      fail(std::string("expected '") + c + "' " + context + ", got " + describe_char(s_[pos_]));
    ++pos_;
  }

  // From '{' through '}'.
  void labels(Labels& out) {
    ++pos_;
    for (;;) {
      skip_blanks();
      if (pos_ >= s_.size()) fail("unterminated label set");
      if (s_[pos_] == '}') break;
      const std::string_view label = name(false);
      if (label.empty()) {
        fail("expected a label name or '}', got " + describe_char(s_[pos_]));
      }
      const std::string after = "after the label name " + excerpt(label);
      skip_blanks();
      expect('=', after);
      skip_blanks();
      expect('"', after);
      out.emplace_back(std::string(label), label_value(label));
      skip_blanks();
      if (pos_ >= s_.size()) fail("unterminated label set");
      if (s_[pos_] == ',') {
        ++pos_;
      } else if (s_[pos_] != '}') {
        fail("expected ',' or '}' after the value of label " + excerpt(label) + ", got " +
             describe_char(s_[pos_]));
      }
    }
    ++pos_;
    // Sorted names side by side show a repeat without comparing every pair.
    std::vector<std::string_view> names;
    names.reserve(out.size());
    for (const auto& [k, v] : out) names.emplace_back(k);
    std::sort(names.begin(), names.end());
    if (const auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end()) {
      fail("label " + excerpt(*dup) + " appears twice");
    }
  }

  // After the opening quote, through the closing one; escapes \\, \" and \n.
  std::string label_value(std::string_view label) {
    std::string value;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated value of label " + excerpt(label));
      const char c = s_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated value of label " + excerpt(label));
      const char e = s_[pos_++];
      if (e == '\\' || e == '"') {
        value += e;
      } else if (e == 'n') {
        value += '\n';
      } else {
        fail("invalid escape '\\" + std::string(1, e) + "' in the value of label " +
             excerpt(label) + " (only \\\\, \\\" and \\n)");
      }
    }
    if (!valid_utf8(value)) fail("the value of label " + excerpt(label) + " is not UTF-8");
    return value;
  }

  std::string_view s_;
  size_t number_;
  size_t pos_ = 0;
};

}  // namespace

ParseError::ParseError(std::size_t line, const std::string& what)
    : std::runtime_error("line " + std::to_string(line) + ": " + what), line_(line) {}

std::vector<Sample> parse_text(std::string_view text) {
  std::vector<Sample> samples;
  size_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    LineParser parser(line.substr(first), number);
    if (line[first] == '#') {
      parser.metadata();
    } else {
      samples.push_back(parser.sample());
    }
  }
  return samples;
}

}  // namespace prom
