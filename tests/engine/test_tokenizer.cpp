// Tokenizer tests. The synthetic ones need nothing; the Mistral ones compare against
// mistral-tokenizer-js through tests/conformance/tokenize_oracle.mjs and skip without node.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace engine::test_support {

// Shared with test_chat_template.cpp (declared there): the real Mistral 7B v0.1/v0.2 vocabulary,
// loaded once from the oracle. Null with `why` set when node or the npm package is missing.
const Vocabulary* mistral_vocab(std::string* why);
const Tokenizer* mistral_tokenizer(std::string* why);
// mistral-tokenizer-js ids for each text (no BOS, with the dummy prefix).
std::vector<std::vector<TokenId>> reference_encode(const std::vector<std::string>& texts);
// True when `s` is well-formed UTF-8 (checked independently of the tokenizer's own decoder).
bool is_valid_utf8(std::string_view s);

namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = MF_SOURCE_DIR;
const fs::path kOracle = kSourceDir / "tests" / "conformance" / "tokenize_oracle.mjs";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

fs::path temp_path(const std::string& stem) {
  static int counter = 0;
  return fs::temp_directory_path() /
         (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct RunResult {
  int status;
  std::string out;
  std::string err;
};

// MF_NODE names the node binary (scripts/test.sh points it at the repo's Node 22); else PATH's.
std::string node_binary() {
  const char* n = std::getenv("MF_NODE");
  return n != nullptr && *n != '\0' ? shell_quote(n) : "node";
}

RunResult run_oracle(const std::string& args) {
  const fs::path err_file = temp_path("mf-oracle-err");
  const std::string cmd = node_binary() + " " + shell_quote(kOracle.string()) + " " + args + " 2>" +
                          shell_quote(err_file.string());
  RunResult r{-1, {}, {}};
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  r.status = ::pclose(pipe);
  r.err = read_file(err_file);
  fs::remove(err_file);
  return r;
}

bool node_runs() {
  return std::system((node_binary() + " --version >/dev/null 2>&1").c_str()) == 0;
}

struct MistralState {
  bool loaded = false;
  std::string why;
  Vocabulary vocab;
  std::unique_ptr<Tokenizer> tokenizer;
};

MistralState& mistral_state() {
  static MistralState state;
  if (state.loaded) return state;
  state.loaded = true;
  if (!node_runs()) {
    state.why =
        "node is not on PATH (nor set in MF_NODE); install Node.js to run the "
        "mistral-tokenizer-js checks";
    return state;
  }
  const RunResult r = run_oracle("vocab");
  if (r.status != 0) {
    // A missing package is an environment gap; anything else is a broken oracle and must fail.
    if (r.err.find("Cannot find package") != std::string::npos ||
        r.err.find("ERR_MODULE_NOT_FOUND") != std::string::npos) {
      state.why =
          "npm package mistral-tokenizer-js not found (install it into the repository's "
          "node_modules/ or point NODE_PATH at it): " +
          r.err;
      return state;
    }
    ADD_FAILURE() << "tokenize_oracle.mjs vocab failed (status " << r.status << "): " << r.err;
    state.why = "the oracle failed";
    return state;
  }
  const auto j = nlohmann::json::parse(r.out);
  state.vocab.tokens = j.at("tokens").get<std::vector<std::string>>();
  state.vocab.scores = j.at("scores").get<std::vector<float>>();
  for (const int t : j.at("types").get<std::vector<int>>()) {
    state.vocab.types.push_back(static_cast<TokenType>(t));
  }
  state.tokenizer = std::make_unique<Tokenizer>(state.vocab);
  return state;
}

}  // namespace

const Vocabulary* mistral_vocab(std::string* why) {
  MistralState& s = mistral_state();
  if (!s.tokenizer) *why = s.why;
  return s.tokenizer ? &s.vocab : nullptr;
}

const Tokenizer* mistral_tokenizer(std::string* why) {
  MistralState& s = mistral_state();
  if (!s.tokenizer) *why = s.why;
  return s.tokenizer.get();
}

std::vector<std::vector<TokenId>> reference_encode(const std::vector<std::string>& texts) {
  const fs::path in_file = temp_path("mf-oracle-in");
  {
    std::ofstream out(in_file, std::ios::binary);
    out << nlohmann::json(texts).dump();
  }
  const RunResult r = run_oracle("encode " + shell_quote(in_file.string()));
  fs::remove(in_file);
  if (r.status != 0) {
    ADD_FAILURE() << "tokenize_oracle.mjs encode failed: " << r.err;
    return {};
  }
  return nlohmann::json::parse(r.out).get<std::vector<std::vector<TokenId>>>();
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      extra = 0, cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // cut off
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace engine::test_support

namespace engine {
namespace {

using test_support::is_valid_utf8;

#define REQUIRE_MISTRAL_TOKENIZER(var)                                \
  std::string var##_why;                                              \
  const Tokenizer* var = test_support::mistral_tokenizer(&var##_why); \
  if (var == nullptr) GTEST_SKIP() << var##_why

struct CorpusCase {
  std::string category;
  std::string text;
};

std::vector<CorpusCase> load_corpus() {
  std::ifstream in(std::string(MF_SOURCE_DIR) + "/tests/data/tokenizer_corpus.json");
  EXPECT_TRUE(in.good()) << "tests/data/tokenizer_corpus.json is missing";
  std::vector<CorpusCase> cases;
  if (!in.good()) return cases;
  const auto json = nlohmann::json::parse(in);
  for (const auto& c : json.at("cases")) {
    cases.push_back({c.at("category").get<std::string>(), c.at("text").get<std::string>()});
  }
  return cases;
}

// The corpus and its reference ids, computed once for all tests.
struct Corpus {
  std::vector<CorpusCase> cases;
  std::vector<std::vector<TokenId>> expected;
};

const Corpus& corpus_with_reference() {
  static const Corpus corpus = [] {
    Corpus c;
    c.cases = load_corpus();
    std::vector<std::string> texts;
    for (const auto& k : c.cases) texts.push_back(k.text);
    c.expected = test_support::reference_encode(texts);
    return c;
  }();
  return corpus;
}

std::string hex(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (const char b : bytes) {
    std::snprintf(buf, sizeof buf, "%02X ", static_cast<unsigned char>(b));
    out += buf;
  }
  return out;
}

std::string describe(const CorpusCase& c) {
  return "[" + c.category + "] " + nlohmann::json(c.text).dump();
}

// ---- synthetic vocabulary: no node needed -------------------------------------------------

// <unk>, <s>, </s>, the 256 byte tokens, then `pieces` with their scores.
Vocabulary tiny_vocab(const std::vector<std::pair<std::string, float>>& pieces) {
  Vocabulary v;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control};
  v.scores = {0, 0, 0};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.tokens.push_back(name);
    v.types.push_back(TokenType::Byte);
    v.scores.push_back(0);
  }
  for (const auto& [piece, score] : pieces) {
    v.tokens.push_back(piece);
    v.types.push_back(TokenType::Normal);
    v.scores.push_back(score);
  }
  return v;
}

std::vector<std::string> pieces_of(const Tokenizer& t, const std::vector<TokenId>& ids) {
  std::vector<std::string> out;
  for (const TokenId id : ids) out.push_back(t.vocab().tokens[id]);
  return out;
}

using Pieces = std::vector<std::string>;

TEST(TokenizerSynthetic, MergesHigherScoreFirst) {
  Tokenizer bc_first(tiny_vocab(
      {{"\xE2\x96\x81", -100}, {"a", -100}, {"b", -100}, {"c", -100}, {"ab", -2}, {"bc", -1}}));
  EXPECT_EQ(pieces_of(bc_first, bc_first.encode("abc", false)),
            (Pieces{"\xE2\x96\x81", "a", "bc"}));
  Tokenizer ab_first(tiny_vocab(
      {{"\xE2\x96\x81", -100}, {"a", -100}, {"b", -100}, {"c", -100}, {"ab", -1}, {"bc", -2}}));
  EXPECT_EQ(pieces_of(ab_first, ab_first.encode("abc", false)),
            (Pieces{"\xE2\x96\x81", "ab", "c"}));
}

TEST(TokenizerSynthetic, PrefixAndByteFallbackWithoutSpacePiece) {
  // Without a "▁" piece the dummy prefix itself falls back to its three bytes.
  Tokenizer t(tiny_vocab({{"a", -1}}));
  const auto ids = t.encode("a", false);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(t.vocab().tokens[ids[0]], "<0xE2>");
  EXPECT_EQ(t.vocab().tokens[ids[1]], "<0x96>");
  EXPECT_EQ(t.vocab().tokens[ids[2]], "<0x81>");
  EXPECT_EQ(t.vocab().tokens[ids[3]], "a");
}

TEST(TokenizerSynthetic, EqualScoresMergeLeftmostFirst) {
  Tokenizer t(tiny_vocab({{"\xE2\x96\x81", -100}, {"a", -100}, {"aa", -1}}));
  EXPECT_EQ(pieces_of(t, t.encode("aaa", false)), (Pieces{"\xE2\x96\x81", "aa", "a"}));
  EXPECT_EQ(pieces_of(t, t.encode("aaaaa", false)), (Pieces{"\xE2\x96\x81", "aa", "aa", "a"}));
}

TEST(TokenizerSynthetic, SpacesBecomeSpaceMarksWithOnePrefix) {
  const std::string sp = "\xE2\x96\x81";
  Tokenizer t(tiny_vocab({{sp, -100}, {"a", -100}, {sp + sp, -1}, {sp + "a", -2}}));
  EXPECT_EQ(pieces_of(t, t.encode("a", false)), (Pieces{sp + "a"}));
  EXPECT_EQ(pieces_of(t, t.encode(" a", false)), (Pieces{sp + sp, "a"}));
  EXPECT_EQ(pieces_of(t, t.encode("a a", false)), (Pieces{sp + "a", sp + "a"}));
  EXPECT_TRUE(t.encode("", false).empty());
  EXPECT_EQ(t.encode("", true), (std::vector<TokenId>{1}));
  EXPECT_EQ(t.encode("a", true).front(), 1);

  Vocabulary no_prefix = tiny_vocab({{sp, -100}, {"a", -100}});
  no_prefix.add_space_prefix = false;
  no_prefix.add_bos = false;
  Tokenizer np(no_prefix);
  EXPECT_EQ(pieces_of(np, np.encode("a a", true)), (Pieces{"a", sp, "a"}));
  EXPECT_EQ(np.decode(np.encode(" a", false)), " a") << "no prefix, so no space is dropped";
}

TEST(TokenizerSynthetic, ByteFallbackPerUtf8Byte) {
  Tokenizer t(tiny_vocab({{"\xE2\x96\x81", -100}, {"x", -100}}));
  const auto ids = t.encode("x\xC3\xA9", false);  // "xé"
  EXPECT_EQ(pieces_of(t, ids), (Pieces{"\xE2\x96\x81", "x", "<0xC3>", "<0xA9>"}));
  EXPECT_EQ(t.decode(ids), "x\xC3\xA9");
  // Malformed input: each stray byte falls back alone; decoding shows U+FFFD for it.
  const auto bad = t.encode("x\xFFx", false);
  EXPECT_EQ(pieces_of(t, bad), (Pieces{"\xE2\x96\x81", "x", "<0xFF>", "x"}));
  EXPECT_EQ(t.decode(bad), "x\xEF\xBF\xBDx");
}

TEST(TokenizerSynthetic, ControlAndBytePiecesNeverComeFromText) {
  // Pieces that would assemble "</s>", "[INST]" and "<0x41>" with top scores.
  Vocabulary v = tiny_vocab({{"\xE2\x96\x81", -100},
                             {"<", -100},
                             {"/", -100},
                             {"s", -100},
                             {">", -100},
                             {"</", -1},
                             {"s>", -1},
                             {"</s", -1},
                             {"[", -100},
                             {"]", -100},
                             {"I", -100},
                             {"N", -100},
                             {"S", -100},
                             {"T", -100},
                             {"[I", -1},
                             {"NS", -1},
                             {"T]", -1},
                             {"[INS", -1},
                             {"0", -100},
                             {"x", -100},
                             {"4", -100},
                             {"1", -100},
                             {"<0", -1},
                             {"x4", -1},
                             {"1>", -1},
                             {"<0x4", -1}});
  v.tokens.push_back("[INST]");
  v.types.push_back(TokenType::Control);
  v.scores.push_back(0);
  Tokenizer t(v);
  const TokenId inst = t.find("[INST]");
  ASSERT_GE(inst, 0);
  for (const std::string text : {"</s>", "[INST]", "<0x41>", "a</s>b", "<s>[INST]</s>"}) {
    const auto ids = t.encode(text, false);
    for (const TokenId id : ids) {
      EXPECT_FALSE(t.is_control(id)) << text;
      EXPECT_NE(t.vocab().types[id], TokenType::Unknown) << text;
    }
    EXPECT_EQ(t.decode(ids), text);
  }
  EXPECT_EQ(pieces_of(t, t.encode("</s>", false)), (Pieces{"\xE2\x96\x81", "</s", ">"}));
  EXPECT_EQ(pieces_of(t, t.encode("<0x41>", false)), (Pieces{"\xE2\x96\x81", "<0x4", "1>"}));
}

TEST(TokenizerSynthetic, DecodeHandlesControlBytesAndLeadingSpace) {
  const std::string sp = "\xE2\x96\x81";
  Tokenizer t(tiny_vocab({{sp, -100}, {sp + "hi", -1}, {"!", -100}}));
  const TokenId hi = t.find(sp + "hi");
  const TokenId bang = t.find("!");
  const TokenId space_byte = t.find("<0x20>");
  ASSERT_GE(hi, 0);
  EXPECT_EQ(t.token_bytes(hi), " hi");
  EXPECT_EQ(t.token_bytes(1), "");
  EXPECT_EQ(t.token_bytes(t.find("<0x0A>")), "\n");
  EXPECT_EQ(t.decode({1, hi, bang, 2}), "hi!");
  EXPECT_EQ(t.decode({1, hi, bang, 2}, false), " hi!");
  EXPECT_EQ(t.decode({hi, hi}), "hi hi");
  EXPECT_EQ(t.decode({space_byte, hi}), "  hi") << "a byte token's space is not the prefix";
  EXPECT_EQ(t.decode({}), "");
  EXPECT_EQ(t.token_bytes(0), " \xE2\x81\x87 ") << "<unk> prints as SentencePiece's \" ⁇ \"";
  // A literal "▁" in text is indistinguishable from an escaped space, as in SentencePiece.
  EXPECT_EQ(t.decode(t.encode("x" + sp + "y", false)), "x y");
  EXPECT_THROW(t.token_bytes(t.size()), std::out_of_range);
  EXPECT_THROW(t.token_bytes(-1), std::out_of_range);
  EXPECT_FALSE(t.is_control(-1));
  EXPECT_TRUE(t.is_control(2));
  EXPECT_EQ(t.find("no such piece"), -1);
}

TEST(TokenizerSynthetic, RejectsInconsistentVocabulary) {
  Vocabulary v = tiny_vocab({{"a", -1}});
  v.scores.pop_back();
  EXPECT_THROW(Tokenizer{v}, std::invalid_argument);
  Vocabulary bad_bos = tiny_vocab({{"a", -1}});
  bad_bos.bos_id = 100000;
  EXPECT_THROW(Tokenizer{bad_bos}, std::invalid_argument);
  EXPECT_THROW(Tokenizer{Vocabulary{}}, std::invalid_argument);
}

TEST(TokenizerStreaming, HoldsBackSplitCharacters) {
  Tokenizer t(tiny_vocab({{"\xE2\x96\x81", -100}, {"x", -100}}));
  const auto byte = [&](int b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    return t.find(name);
  };
  StreamingDetokenizer d(t);
  EXPECT_EQ(d.push(1), "");
  EXPECT_EQ(d.push(t.find("x")), "x");
  EXPECT_EQ(d.push(byte(0xF0)), "");  // 🦙 = F0 9F A6 99
  EXPECT_EQ(d.push(byte(0x9F)), "");
  EXPECT_EQ(d.push(byte(0xA6)), "");
  EXPECT_EQ(d.push(byte(0x99)), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(d.push(byte(0xC3)), "");
  EXPECT_EQ(d.push(t.find("x")), "\xEF\xBF\xBDx") << "an interrupted character is replaced";
  EXPECT_EQ(d.push(byte(0x80)), "\xEF\xBF\xBD") << "a stray continuation byte is replaced";
  EXPECT_EQ(d.push(byte(0xE4)), "");
  EXPECT_EQ(d.push(byte(0xBD)), "");
  EXPECT_EQ(d.finish(), "\xEF\xBF\xBD") << "a cut-off character at the end is replaced";
  EXPECT_EQ(d.finish(), "");
}

TEST(TokenizerStreaming, DropsOnlyThePrefixSpace) {
  const std::string sp = "\xE2\x96\x81";
  Tokenizer t(tiny_vocab({{sp, -100}, {sp + "a", -1}}));
  StreamingDetokenizer d(t);
  EXPECT_EQ(d.push(1), "");
  EXPECT_EQ(d.push(t.find(sp + "a")), "a");
  EXPECT_EQ(d.push(t.find(sp + "a")), " a");
  StreamingDetokenizer keep(t, false);
  EXPECT_EQ(keep.push(t.find(sp + "a")), " a");
}

// ---- the real Mistral 7B vocabulary against mistral-tokenizer-js ---------------------------

TEST(TokenizerMistral, VocabularyLooksLikeMistral7B) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  EXPECT_EQ(t->size(), 32000);
  EXPECT_EQ(t->vocab().tokens[1], "<s>");
  EXPECT_EQ(t->vocab().tokens[2], "</s>");
  EXPECT_TRUE(t->is_control(1));
  EXPECT_TRUE(t->is_control(2));
  EXPECT_EQ(t->vocab().types[0], TokenType::Unknown);
  EXPECT_EQ(t->vocab().types[3], TokenType::Byte);
  EXPECT_EQ(t->find("\xE2\x96\x81"), 28705);
}

TEST(TokenizerMistral, KnownIds) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  // From mistral-tokenizer-js's own test list and the Mistral instruct format.
  EXPECT_EQ(t->encode("grabbed", true), (std::vector<TokenId>{1, 13300}));
  EXPECT_EQ(t->encode(" grabbed", true), (std::vector<TokenId>{1, 28705, 13300}));
  EXPECT_EQ(t->encode("           grabbed", true), (std::vector<TokenId>{1, 17422, 13300}));
  EXPECT_EQ(t->encode("\n", true), (std::vector<TokenId>{1, 28705, 13}));
  EXPECT_EQ(t->encode(" \n", true), (std::vector<TokenId>{1, 259, 13}));
  EXPECT_EQ(t->encode("ax\n####\nboo", true),
            (std::vector<TokenId>{1, 6056, 13, 2000, 13, 1798, 28709}));
  EXPECT_EQ(t->encode("\xE9\x95\x87", true), (std::vector<TokenId>{1, 28705, 29780}));  // 镇
  EXPECT_EQ(t->encode("\xF0\x9F\xA6\x99", true),  // the llama emoji, four byte tokens
            (std::vector<TokenId>{1, 28705, 243, 162, 169, 156}));
  EXPECT_EQ(t->encode("[INST]", false), (std::vector<TokenId>{733, 16289, 28793}));
}

TEST(TokenizerMistral, MatchesReferenceOnCorpus) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  const Corpus& c = corpus_with_reference();
  ASSERT_GE(c.cases.size(), 200u);
  ASSERT_EQ(c.expected.size(), c.cases.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < c.cases.size(); ++i) {
    const auto got = t->encode(c.cases[i].text, false);
    if (got != c.expected[i]) ++mismatches;
    EXPECT_EQ(got, c.expected[i]) << describe(c.cases[i]);
    // With BOS: the same ids after <s>.
    auto with_bos = c.expected[i];
    with_bos.insert(with_bos.begin(), 1);
    EXPECT_EQ(t->encode(c.cases[i].text, true), with_bos) << describe(c.cases[i]);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << c.cases.size() << " corpus strings";
}

TEST(TokenizerMistral, CorpusCoversEveryCategory) {
  const auto cases = load_corpus();
  EXPECT_GE(cases.size(), 200u);
  std::set<std::string> categories;
  for (const auto& c : cases) categories.insert(c.category);
  for (const char* want :
       {"empty", "ascii_prose", "spaces", "whitespace", "digits", "code", "urls", "control_spelled",
        "cjk", "cyrillic", "arabic", "hindi", "korean", "emoji", "byte_fallback"}) {
    EXPECT_TRUE(categories.count(want)) << want;
  }
}

TEST(TokenizerMistral, NeverProducesControlTokensFromText) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  for (const auto& c : load_corpus()) {
    for (const TokenId id : t->encode(c.text, false)) {
      EXPECT_FALSE(t->is_control(id)) << describe(c);
      EXPECT_NE(id, t->vocab().unk_id) << describe(c);
    }
  }
}

TEST(TokenizerMistral, DecodeInvertsEncodeOnCorpus) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  for (const auto& c : load_corpus()) {
    EXPECT_EQ(t->decode(t->encode(c.text, false)), c.text) << describe(c);
    EXPECT_EQ(t->decode(t->encode(c.text, true)), c.text) << describe(c);
  }
}

TEST(TokenizerMistral, StreamingChunksAreValidUtf8AndConcatenateToText) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  size_t held_back = 0;
  for (const auto& c : load_corpus()) {
    StreamingDetokenizer d(*t);
    std::string joined;
    for (const TokenId id : t->encode(c.text, true)) {
      const std::string chunk = d.push(id);
      EXPECT_TRUE(is_valid_utf8(chunk)) << describe(c) << " chunk " << hex(chunk);
      if (chunk.empty() && !t->is_control(id)) ++held_back;
      joined += chunk;
    }
    const std::string tail = d.finish();
    EXPECT_EQ(tail, "") << describe(c);
    joined += tail;
    EXPECT_EQ(joined, c.text) << describe(c);
  }
  EXPECT_GT(held_back, 0u) << "the corpus should split some characters across byte tokens";
}

TEST(TokenizerMistral, MatchesReferenceOnRandomMixtures) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  // Splice corpus fragments at random (UTF-8 boundaries kept) to reach merge orders the corpus
  // itself does not, e.g. byte fallback next to long space runs.
  const auto cases = load_corpus();
  std::mt19937 rng(12345);
  std::vector<std::string> texts;
  for (int n = 0; n < 300; ++n) {
    std::string s;
    const int parts = 1 + static_cast<int>(rng() % 5);
    for (int p = 0; p < parts; ++p) {
      const std::string& src = cases[rng() % cases.size()].text;
      if (src.empty()) continue;
      size_t a = rng() % src.size(), b = rng() % (src.size() + 1);
      if (a > b) std::swap(a, b);
      while (a > 0 && (static_cast<unsigned char>(src[a]) & 0xC0) == 0x80) --a;
      while (b < src.size() && (static_cast<unsigned char>(src[b]) & 0xC0) == 0x80) ++b;
      s += src.substr(a, b - a);
      if (rng() % 3 == 0) s += std::string(rng() % 4, ' ');
    }
    texts.push_back(s);
  }
  const auto expected = test_support::reference_encode(texts);
  ASSERT_EQ(expected.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(t->encode(texts[i], false), expected[i]) << nlohmann::json(texts[i]).dump();
    EXPECT_EQ(t->decode(t->encode(texts[i], false)), texts[i]);
  }
}

TEST(TokenizerMistral, LargeInputIsFastAndMatchesReference) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  std::string text;
  const auto cases = load_corpus();
  for (size_t i = 0; text.size() < 100 * 1024; ++i) {
    text += cases[i % cases.size()].text;
    text += ' ';
  }
  const auto start = std::chrono::steady_clock::now();
  const auto ids = t->encode(text, true);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 1000.0) << text.size() << " bytes took " << ms << " ms";
  // A priority queue keeps this far under the limit; quadratic rescans would not be.
  const auto expected = test_support::reference_encode({text});
  ASSERT_EQ(expected.size(), 1u);
  auto with_bos = expected[0];
  with_bos.insert(with_bos.begin(), 1);
  EXPECT_EQ(ids, with_bos);
  EXPECT_EQ(t->decode(ids), text);
}

TEST(TokenizerMistral, SpaceRunsAreFast) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  const std::string spaces(100 * 1024, ' ');
  const auto start = std::chrono::steady_clock::now();
  const auto ids = t->encode(spaces, false);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 1000.0);
  EXPECT_EQ(t->decode(ids), spaces);
}

}  // namespace
}  // namespace engine
