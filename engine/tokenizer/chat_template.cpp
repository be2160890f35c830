#include "tokenizer/chat_template.h"

#include <stdexcept>
#include <string>

namespace engine {

namespace {

TokenId control_id(const Tokenizer& tokenizer, std::string_view piece) {
  const TokenId id = tokenizer.find(piece);
  return id >= 0 && tokenizer.is_control(id) ? id : -1;
}

std::string describe(size_t index, const ChatMessage& m) {
  return "message " + std::to_string(index) + " (role \"" + m.role + "\")";
}

// Checks the shape mistral-common accepts for plain chat and returns the system prompt: system
// messages first (joined by "\n\n" like its request normalizer; empty ones dropped), then
// user/assistant turns alternating from a user turn and ending on one. Merging consecutive same
// role turns, as mistral-common's normalizer also would, is left to the caller on purpose: here
// such a list is more likely a bug than an intent.
std::string validate(const std::vector<ChatMessage>& messages) {
  if (messages.empty()) throw std::invalid_argument("chat template: the conversation is empty");
  std::string system;
  size_t i = 0;
  for (; i < messages.size() && messages[i].role == "system"; ++i) {
    if (messages[i].content.empty()) continue;
    if (!system.empty()) system += "\n\n";
    system += messages[i].content;
  }
  if (i == messages.size()) {
    throw std::invalid_argument("chat template: the conversation has no user message");
  }
  for (size_t k = i; k < messages.size(); ++k) {
    const ChatMessage& m = messages[k];
    const bool want_user = (k - i) % 2 == 0;
    if (m.role == "system") {
      throw std::invalid_argument("chat template: " + describe(k, m) +
                                  ": system messages must come before all user and assistant "
                                  "messages");
    }
    if (m.role != "user" && m.role != "assistant") {
      throw std::invalid_argument("chat template: " + describe(k, m) +
                                  ": unknown role; expected system, user or assistant");
    }
    if (want_user && m.role != "user") {
      throw std::invalid_argument(
          "chat template: " + describe(k, m) +
          (k == i ? ": the conversation must start with a user message"
                  : ": roles must alternate user/assistant, but two assistant messages follow "
                    "each other"));
    }
    if (!want_user && m.role != "assistant") {
      throw std::invalid_argument("chat template: " + describe(k, m) +
                                  ": roles must alternate user/assistant, but two user messages "
                                  "follow each other");
    }
    // mistral-common rejects assistant turns without content (there is no tool-call text here).
    if (m.role == "assistant" && m.content.empty()) {
      throw std::invalid_argument("chat template: " + describe(k, m) +
                                  ": assistant messages need content");
    }
  }
  if (messages.back().role != "user") {
    throw std::invalid_argument(
        "chat template: the conversation must end with a user message, not an assistant one");
  }
  return system;
}

void append(std::vector<TokenId>& out, const std::vector<TokenId>& ids) {
  out.insert(out.end(), ids.begin(), ids.end());
}

}  // namespace

ChatTemplate detect_chat_template(const Tokenizer& tokenizer) {
  return control_id(tokenizer, "[INST]") >= 0 && control_id(tokenizer, "[/INST]") >= 0
             ? ChatTemplate::V3
             : ChatTemplate::V1;
}

std::vector<TokenId> apply_chat_template(const Tokenizer& tokenizer, ChatTemplate tmpl,
                                         const std::vector<ChatMessage>& messages) {
  const std::string system = validate(messages);

  TokenId begin_inst = -1, end_inst = -1;
  if (tmpl == ChatTemplate::V3) {
    begin_inst = control_id(tokenizer, "[INST]");
    end_inst = control_id(tokenizer, "[/INST]");
    if (begin_inst < 0 || end_inst < 0) {
      throw std::invalid_argument(
          "chat template: V3 needs [INST] and [/INST] control tokens in the vocabulary");
    }
  }

  size_t first_user = messages.size(), last_user = 0;
  for (size_t k = 0; k < messages.size(); ++k) {
    if (messages[k].role != "user") continue;
    if (first_user == messages.size()) first_user = k;
    last_user = k;
  }
  // mistral-common's InstructTokenizerV1 joins the system prompt to the first user message;
  // V2 and later join it to the last one, right before the model answers.
  const size_t system_turn = tmpl == ChatTemplate::V1 ? first_user : last_user;

  // mistral-common always starts with BOS, whatever the vocabulary's add_bos says.
  std::vector<TokenId> out{tokenizer.bos()};
  for (size_t k = 0; k < messages.size(); ++k) {
    const ChatMessage& m = messages[k];
    if (m.role == "user") {
      const std::string content =
          k == system_turn && !system.empty() ? system + "\n\n" + m.content : m.content;
      if (tmpl == ChatTemplate::V1) {
        // V1 spells the markers as text inside one encode call, so the turn gets a "▁" prefix.
        append(out, tokenizer.encode("[INST] " + content + " [/INST]", false));
      } else {
        out.push_back(begin_inst);
        append(out, tokenizer.encode(content, false));
        out.push_back(end_inst);
      }
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      if (tmpl == ChatTemplate::V3) {
        // V2+ strip trailing spaces from assistant turns before encoding them.
        content = content.substr(0, content.find_last_not_of(' ') + 1);
      }
      append(out, tokenizer.encode(content, false));
      out.push_back(tokenizer.eos());
    }
  }
  return out;
}

}  // namespace engine
