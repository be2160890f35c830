// The tokenizer's vocabulary as GGUF stores it under tokenizer.ggml.*.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

// Values of tokenizer.ggml.token_type.
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

using TokenId = int32_t;

struct Vocabulary {
  std::vector<std::string> tokens;  // SentencePiece pieces: "▁the", "<0x0A>", "<s>", ...
  std::vector<float> scores;        // higher merges first
  std::vector<TokenType> types;
  TokenId bos_id = 1;
  TokenId eos_id = 2;
  TokenId unk_id = 0;
  bool add_bos = true;
  bool add_eos = false;
  bool add_space_prefix = true;  // tokenizer.ggml.add_space_prefix
};

}  // namespace engine

namespace engine {

class GgufFile;

// Reads tokenizer.ggml.* from a GGUF file; throws std::runtime_error naming the bad key.
Vocabulary load_vocabulary(const GgufFile& file);

}  // namespace engine
