#include "synth/vocab_source.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "gguf/gguf_file.h"

namespace engine {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open vocabulary source");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The string literal assigned to `const NAME = "..."` in the JS source.
std::string js_string_constant(const std::string& js, const std::string& name,
                               const std::string& path) {
  const std::string marker = "const " + name + " = \"";
  const size_t start = js.find(marker);
  if (start == std::string::npos) {
    throw std::runtime_error(path + ": no '" + name + "' constant: not mistral-tokenizer.js?");
  }
  const size_t begin = start + marker.size();
  const size_t end = js.find('"', begin);
  if (end == std::string::npos) throw std::runtime_error(path + ": unterminated '" + name + "'");
  return js.substr(begin, end - begin);
}

std::string base64_decode(const std::string& in, const std::string& what) {
  static const auto table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    if (ch == '=') break;
    const int8_t v = table[static_cast<uint8_t>(ch)];
    if (v < 0) throw std::runtime_error(what + ": invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

Vocabulary from_tokenizer_js(const std::string& path) {
  const std::string js = read_file(path);
  const std::string pieces = base64_decode(js_string_constant(js, "vocab_base64", path), path);
  const std::string merges = base64_decode(js_string_constant(js, "merges_binary", path), path);

  Vocabulary v;
  std::istringstream lines(pieces);
  for (std::string piece; std::getline(lines, piece);) v.tokens.push_back(piece);
  const size_t n = v.tokens.size();
  if (n < 259 || v.tokens[0] != "<unk>" || v.tokens[1] != "<s>" || v.tokens[2] != "</s>") {
    throw std::runtime_error(path + ": vocabulary does not have Mistral's layout");
  }
  std::unordered_map<std::string, size_t> id_of;
  for (size_t i = 0; i < n; ++i) id_of.emplace(v.tokens[i], i);

  // Merges are pairs of little-endian u16 ids; the package ranks the k-th pair 2k+1.
  constexpr float kUnranked = std::numeric_limits<float>::infinity();
  std::vector<float> rank(n, kUnranked);
  float max_rank = 0.0f;
  const auto* m = reinterpret_cast<const uint8_t*>(merges.data());
  for (size_t k = 0; k + 3 < merges.size(); k += 4) {
    const size_t a = m[k] | (m[k + 1] << 8);
    const size_t b = m[k + 2] | (m[k + 3] << 8);
    if (a >= n || b >= n) throw std::runtime_error(path + ": merge refers to an unknown token");
    const auto it = id_of.find(v.tokens[a] + v.tokens[b]);
    if (it == id_of.end()) continue;
    const float r = static_cast<float>(k / 2 + 1);
    rank[it->second] = std::min(rank[it->second], r);
    max_rank = std::max(max_rank, r);
  }
  v.scores.resize(n);
  v.types.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const bool is_byte = i >= 3 && i < 259;
    v.types[i] = i == 0 ? TokenType::Unknown
                 : i < 3 ? TokenType::Control
                 : is_byte ? TokenType::Byte
                           : TokenType::Normal;
    // Single characters come from no merge: they rank after every merged piece.
    v.scores[i] = v.types[i] != TokenType::Normal ? 0.0f
                  : rank[i] == kUnranked          ? -(max_rank + 1.0f)
                                                  : -rank[i];
  }
  return v;
}

}  // namespace

Vocabulary load_vocabulary_source(const std::string& path) {
  if (path.size() >= 5 && path.substr(path.size() - 5) == ".gguf") {
    return load_vocabulary(GgufFile::open(path));
  }
  return from_tokenizer_js(path);
}

Vocabulary extend_to_v3(const Vocabulary& v) {
  if (v.tokens.size() != 32000) {
    throw std::runtime_error("the v0.3 layout extends the 32000-token vocabulary only");
  }
  std::vector<std::string> added = {"[INST]",           "[/INST]",        "[TOOL_CALLS]",
                                    "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]",
                                    "[/TOOL_RESULTS]"};
  for (int i = 8; added.size() < 768; ++i) added.push_back("[control_" + std::to_string(i) + "]");
  Vocabulary out = v;
  const auto at = [](auto& vec) { return vec.begin() + 3; };
  out.tokens.insert(at(out.tokens), added.begin(), added.end());
  out.scores.insert(at(out.scores), added.size(), 0.0f);
  out.types.insert(at(out.types), added.size(), TokenType::Control);
  return out;
}

}  // namespace engine
