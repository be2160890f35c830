// Mistral's instruct formats as mistral-common defines them.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace engine {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

enum class ChatTemplate {
  V1,  // Mistral 7B v0.1/v0.2: "[INST]" and "[/INST]" are plain text
  V3,  // Mistral 7B v0.3: [INST]=3 and [/INST]=4 are control tokens
};

// V3 when the vocabulary has [INST] and [/INST] as control tokens, else V1.
ChatTemplate detect_chat_template(const Tokenizer& tokenizer);

// BOS, then each turn. System messages (only at the start; joined by "\n\n") become a prefix
// "{system}\n\n" of a user message where mistral-common puts it: the first user message for V1,
// the last for V3. The rest must alternate user/assistant starting and ending with a user message,
// and assistant messages need content; otherwise std::invalid_argument explains what is wrong.
std::vector<TokenId> apply_chat_template(const Tokenizer& tokenizer, ChatTemplate tmpl,
                                         const std::vector<ChatMessage>& messages);

}  // namespace engine
