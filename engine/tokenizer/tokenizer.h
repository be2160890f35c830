// SentencePiece-BPE tokenizer (tokenizer.ggml.model = "llama") and its detokenizer.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/vocabulary.h"

namespace engine {

class Tokenizer {
 public:
  explicit Tokenizer(Vocabulary vocab);

  // Text -> ids as llama.cpp's SPM tokenizer does it: spaces become "▁", a "▁" is prefixed when
  // add_space_prefix is set, pieces merge by score (ties leftmost first), characters without a
  // piece fall back to <0xXX> byte tokens. Text that spells a control token ("</s>", "[INST]")
  // is tokenized as plain text: control tokens never come from user text.
  // `add_bos` prepends BOS when the vocabulary asks for it.
  std::vector<TokenId> encode(std::string_view text, bool add_bos) const;

  // The bytes a token stands for: "▁" -> " ", <0xXX> -> that byte, control tokens -> "",
  // <unk> -> " ⁇ " as SentencePiece prints it. Throws std::out_of_range for a bad id.
  std::string token_bytes(TokenId id) const;

  // Ids -> text. `skip_leading_space` drops the space the prefix "▁" produced at the start.
  // Byte tokens that form no valid UTF-8 become U+FFFD, exactly as StreamingDetokenizer does.
  std::string decode(const std::vector<TokenId>& ids, bool skip_leading_space = true) const;

  const Vocabulary& vocab() const { return vocab_; }
  int32_t size() const { return static_cast<int32_t>(vocab_.tokens.size()); }
  bool is_control(TokenId id) const;
  TokenId bos() const { return vocab_.bos_id; }
  TokenId eos() const { return vocab_.eos_id; }
  // The id of a piece, or -1.
  TokenId find(std::string_view piece) const;

 private:
  // Lets encode() look pieces up by string_view without building a std::string per bigram.
  struct PieceHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Vocabulary vocab_;
  std::unordered_map<std::string, TokenId, PieceHash, std::equal_to<>> piece_to_id_;
  TokenId byte_ids_[256];
};

// Streams ids into text, holding back the bytes of an unfinished UTF-8 character (split across
// byte-fallback tokens) until it completes, so every chunk it returns is valid UTF-8.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_leading_space = true);
  std::string push(TokenId id);
  std::string finish();  // whatever is still held back; invalid bytes become U+FFFD

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
  bool at_start_;
  bool skip_leading_space_;
};

}  // namespace engine
