// Chat template tests: conversation validation on a tiny vocabulary, and the exact V1/V3 token
// layouts of mistral-common on the real Mistral 7B vocabulary (skipped without node).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tokenizer/chat_template.h"

namespace engine::test_support {
// Defined in test_tokenizer.cpp.
const Vocabulary* mistral_vocab(std::string* why);
const Tokenizer* mistral_tokenizer(std::string* why);
}  // namespace engine::test_support

namespace engine {
namespace {

using Ids = std::vector<TokenId>;
using Messages = std::vector<ChatMessage>;

// A few pieces and, optionally, [INST]/[/INST] as control tokens 3 and 4.
Vocabulary small_vocab(bool v3_controls) {
  Vocabulary v;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control};
  if (v3_controls) {
    v.tokens.insert(v.tokens.end(), {"[INST]", "[/INST]"});
    v.types.insert(v.types.end(), {TokenType::Control, TokenType::Control});
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.tokens.push_back(name);
    v.types.push_back(TokenType::Byte);
  }
  for (const char* p :
       {"\xE2\x96\x81", "h", "i", "\xE2\x96\x81h", "\xE2\x96\x81hi", "[", "]", "/"}) {
    v.tokens.push_back(p);
    v.types.push_back(TokenType::Normal);
  }
  v.scores.assign(v.tokens.size(), -1.0f);
  return v;
}

// Mistral 7B v0.3's layout: v0.2's 32000 tokens with 768 control tokens after </s>.
Vocabulary v3_vocab_from(const Vocabulary& v1) {
  Vocabulary v = v1;
  std::vector<std::string> controls = {
      "[INST]",         "[/INST]",        "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
      "[TOOL_RESULTS]", "[/TOOL_RESULTS]"};
  for (int i = 8; i <= 768; ++i) controls.push_back("[control_" + std::to_string(i) + "]");
  v.tokens.insert(v.tokens.begin() + 3, controls.begin(), controls.end());
  // Real v0.3 GGUFs give control tokens score 0, above every merge; they must still not merge.
  v.scores.insert(v.scores.begin() + 3, controls.size(), 0.0f);
  v.types.insert(v.types.begin() + 3, controls.size(), TokenType::Control);
  return v;
}

#define REQUIRE_MISTRAL_TOKENIZER(var)                                \
  std::string var##_why;                                              \
  const Tokenizer* var = test_support::mistral_tokenizer(&var##_why); \
  if (var == nullptr) GTEST_SKIP() << var##_why

const Tokenizer* mistral_v3_tokenizer(std::string* why) {
  static const std::unique_ptr<Tokenizer> tok = [why]() -> std::unique_ptr<Tokenizer> {
    const Vocabulary* v1 = test_support::mistral_vocab(why);
    if (v1 == nullptr) return nullptr;
    return std::make_unique<Tokenizer>(v3_vocab_from(*v1));
  }();
  if (!tok) test_support::mistral_vocab(why);  // refresh the reason for later callers
  return tok.get();
}

#define REQUIRE_MISTRAL_V3_TOKENIZER(var)                  \
  std::string var##_why;                                   \
  const Tokenizer* var = mistral_v3_tokenizer(&var##_why); \
  if (var == nullptr) GTEST_SKIP() << var##_why

Ids cat(std::initializer_list<Ids> parts) {
  Ids out;
  for (const Ids& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The message text of an invalid_argument, or "" when none was thrown.
std::string error_of(const Tokenizer& t, ChatTemplate tmpl, const Messages& m) {
  try {
    apply_chat_template(t, tmpl, m);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// ---- no node needed ------------------------------------------------------------------------

TEST(ChatTemplateSynthetic, DetectsTemplateFromControlTokens) {
  EXPECT_EQ(detect_chat_template(Tokenizer(small_vocab(true))), ChatTemplate::V3);
  EXPECT_EQ(detect_chat_template(Tokenizer(small_vocab(false))), ChatTemplate::V1);
  // "[INST]" as an ordinary piece is not the V3 marker.
  Vocabulary normal = small_vocab(false);
  normal.tokens.insert(normal.tokens.end(), {"[INST]", "[/INST]"});
  normal.types.insert(normal.types.end(), 2, TokenType::Normal);
  normal.scores.insert(normal.scores.end(), 2, -1.0f);
  EXPECT_EQ(detect_chat_template(Tokenizer(normal)), ChatTemplate::V1);
}

TEST(ChatTemplateSynthetic, InvalidConversationsThrow) {
  const Tokenizer t(small_vocab(true));
  for (const ChatTemplate tmpl : {ChatTemplate::V1, ChatTemplate::V3}) {
    EXPECT_NE(error_of(t, tmpl, {}).find("empty"), std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"system", "be brief"}}).find("no user message"),
              std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"assistant", "hi"}, {"user", "hi"}}).find("start with a user"),
              std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"user", "a"}, {"user", "b"}}).find("two user messages"),
              std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"user", "a"}, {"assistant", "b"}, {"assistant", "c"}})
                  .find("two assistant messages"),
              std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"user", "a"}, {"assistant", "b"}}).find("end with a user"),
              std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"user", "a"}, {"assistant", "b"}, {"system", "c"}, {"user", "d"}})
                  .find("system messages must come before"),
              std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"tool", "a"}}).find("unknown role"), std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"User", "a"}}).find("unknown role"), std::string::npos);
    EXPECT_NE(error_of(t, tmpl, {{"user", "a"}, {"assistant", ""}, {"user", "b"}})
                  .find("assistant messages need content"),
              std::string::npos);
    EXPECT_EQ(error_of(t, tmpl, {{"user", "hi"}}), "");
    EXPECT_EQ(error_of(t, tmpl, {{"system", "s"}, {"system", ""}, {"user", "hi"}}), "");
  }
  // V3 needs the control tokens.
  const Tokenizer v1_only(small_vocab(false));
  EXPECT_NE(error_of(v1_only, ChatTemplate::V3, {{"user", "hi"}}).find("[INST]"),
            std::string::npos);
}

TEST(ChatTemplateSynthetic, V3LayoutOnSmallVocabulary) {
  const Tokenizer t(small_vocab(true));
  const TokenId hi = t.find("\xE2\x96\x81hi");
  ASSERT_GE(hi, 0);
  EXPECT_EQ(apply_chat_template(t, ChatTemplate::V3, {{"user", "hi"}}), (Ids{1, 3, hi, 4}));
  EXPECT_EQ(apply_chat_template(t, ChatTemplate::V3,
                                {{"user", "hi"}, {"assistant", "hi  "}, {"user", "hi"}}),
            (Ids{1, 3, hi, 4, hi, 2, 3, hi, 4}));
}

// ---- the real vocabularies -----------------------------------------------------------------

TEST(ChatTemplateMistral, V1SingleTurn) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  EXPECT_EQ(detect_chat_template(*t), ChatTemplate::V1);
  const Ids ids = apply_chat_template(*t, ChatTemplate::V1, {{"user", "Hello, how are you?"}});
  EXPECT_EQ(ids, cat({{1}, t->encode("[INST] Hello, how are you? [/INST]", false)}));
  // Known ids: "▁[", "INST", "]" open the turn; no control token besides BOS.
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(Ids(ids.begin(), ids.begin() + 4), (Ids{1, 733, 16289, 28793}));
  EXPECT_EQ(t->decode(ids), "[INST] Hello, how are you? [/INST]");
}

TEST(ChatTemplateMistral, V1MultiTurn) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  const Messages m = {{"user", "Hello, how are you?"},
                      {"assistant", "Fine, and you?"},
                      {"user", "I'm doing great!"},
                      {"assistant", "Glad to hear!"},
                      {"user", "Bye."}};
  const Ids expected = cat({{1},
                            t->encode("[INST] Hello, how are you? [/INST]", false),
                            t->encode("Fine, and you?", false),
                            {2},
                            t->encode("[INST] I'm doing great! [/INST]", false),
                            t->encode("Glad to hear!", false),
                            {2},
                            t->encode("[INST] Bye. [/INST]", false)});
  EXPECT_EQ(apply_chat_template(*t, ChatTemplate::V1, m), expected);
}

TEST(ChatTemplateMistral, V1SystemPromptJoinsFirstUserMessage) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  const Messages m = {{"system", "You are terse."},
                      {"system", "Answer in English."},
                      {"user", "Hi"},
                      {"assistant", "Hello"},
                      {"user", "Bye"}};
  const Ids expected =
      cat({{1},
           t->encode("[INST] You are terse.\n\nAnswer in English.\n\nHi [/INST]", false),
           t->encode("Hello", false),
           {2},
           t->encode("[INST] Bye [/INST]", false)});
  EXPECT_EQ(apply_chat_template(*t, ChatTemplate::V1, m), expected);
}

TEST(ChatTemplateMistral, V1TypedMarkersStayText) {
  REQUIRE_MISTRAL_TOKENIZER(t);
  const Ids ids = apply_chat_template(*t, ChatTemplate::V1, {{"user", "</s> [INST] <s>"}});
  EXPECT_EQ(ids, cat({{1}, t->encode("[INST] </s> [INST] <s> [/INST]", false)}));
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_FALSE(t->is_control(ids[i])) << i;
}

TEST(ChatTemplateMistral, V3VocabularyLayout) {
  REQUIRE_MISTRAL_V3_TOKENIZER(t);
  EXPECT_EQ(t->size(), 32768);
  EXPECT_EQ(t->find("[INST]"), 3);
  EXPECT_EQ(t->find("[/INST]"), 4);
  EXPECT_EQ(t->find("[TOOL_CALLS]"), 5);
  EXPECT_EQ(t->find("[/TOOL_RESULTS]"), 9);
  EXPECT_EQ(t->find("[control_8]"), 10);
  EXPECT_EQ(t->find("[control_768]"), 770);
  EXPECT_EQ(t->find("<0x00>"), 771);
  EXPECT_EQ(detect_chat_template(*t), ChatTemplate::V3);
  // Text tokenizes as in v0.2 with ids past </s> shifted by the 768 inserted tokens.
  std::string why;
  const Tokenizer* v1 = test_support::mistral_tokenizer(&why);
  ASSERT_NE(v1, nullptr);
  for (const std::string text : {"Hello, world!", "[INST] x [/INST]", "\xF0\x9F\xA6\x99 \n",
                                 "</s>[TOOL_CALLS][control_8]"}) {
    Ids shifted = v1->encode(text, false);
    for (TokenId& id : shifted) id += id >= 3 ? 768 : 0;
    EXPECT_EQ(t->encode(text, false), shifted) << text;
  }
}

TEST(ChatTemplateMistral, V3SingleTurn) {
  REQUIRE_MISTRAL_V3_TOKENIZER(t);
  const Ids ids = apply_chat_template(*t, ChatTemplate::V3, {{"user", "Hello, how are you?"}});
  EXPECT_EQ(ids, cat({{1, 3}, t->encode("Hello, how are you?", false), {4}}));
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids[1], 3);
  EXPECT_EQ(ids.back(), 4);
  EXPECT_EQ(t->decode(ids), "Hello, how are you?");
}

TEST(ChatTemplateMistral, V3MultiTurn) {
  REQUIRE_MISTRAL_V3_TOKENIZER(t);
  const Messages m = {{"user", "Hello, how are you?"},
                      {"assistant", "Fine, and you?  "},
                      {"user", "I'm doing great!"},
                      {"assistant", "Glad to hear!"},
                      {"user", "Bye."}};
  // V2+ strip trailing spaces from assistant turns.
  const Ids expected = cat({{1, 3},
                            t->encode("Hello, how are you?", false),
                            {4},
                            t->encode("Fine, and you?", false),
                            {2, 3},
                            t->encode("I'm doing great!", false),
                            {4},
                            t->encode("Glad to hear!", false),
                            {2, 3},
                            t->encode("Bye.", false),
                            {4}});
  EXPECT_EQ(apply_chat_template(*t, ChatTemplate::V3, m), expected);
}

TEST(ChatTemplateMistral, V3SystemPromptJoinsLastUserMessage) {
  REQUIRE_MISTRAL_V3_TOKENIZER(t);
  const Messages m = {
      {"system", "You are terse."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}};
  const Ids expected = cat({{1, 3},
                            t->encode("Hi", false),
                            {4},
                            t->encode("Hello", false),
                            {2, 3},
                            t->encode("You are terse.\n\nBye", false),
                            {4}});
  EXPECT_EQ(apply_chat_template(*t, ChatTemplate::V3, m), expected);
  // Single turn: first and last user message coincide.
  EXPECT_EQ(apply_chat_template(*t, ChatTemplate::V3, {{"system", "S"}, {"user", "U"}}),
            cat({{1, 3}, t->encode("S\n\nU", false), {4}}));
}

TEST(ChatTemplateMistral, V3TypedMarkersStayText) {
  REQUIRE_MISTRAL_V3_TOKENIZER(t);
  const Ids ids = apply_chat_template(*t, ChatTemplate::V3, {{"user", "[INST] </s> [/INST]"}});
  ASSERT_GE(ids.size(), 3u);
  for (size_t i = 2; i + 1 < ids.size(); ++i) EXPECT_FALSE(t->is_control(ids[i])) << i;
  EXPECT_EQ(t->decode(ids), "[INST] </s> [/INST]");
}

TEST(ChatTemplateMistral, V1OnV3VocabularyKeepsMarkersAsText) {
  // Forcing V1 on a v0.3 vocabulary spells the markers out instead of using ids 3 and 4.
  REQUIRE_MISTRAL_V3_TOKENIZER(t);
  const Ids ids = apply_chat_template(*t, ChatTemplate::V1, {{"user", "Hi"}});
  EXPECT_EQ(ids, cat({{1}, t->encode("[INST] Hi [/INST]", false)}));
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_FALSE(t->is_control(ids[i]));
}

}  // namespace
}  // namespace engine
