// Where a synthetic model's vocabulary comes from.
#pragma once

#include <string>

#include "tokenizer/vocabulary.h"

namespace engine {

// Loads the 32000-token Mistral vocabulary from the npm package mistral-tokenizer-js
// (its mistral-tokenizer.js, which embeds the pieces and the BPE merges as base64) or copies the
// vocabulary of an existing GGUF file. Pieces get score -(rank of the first merge producing them),
// so SentencePiece's score-ordered merging reproduces the package's rank-ordered BPE.
Vocabulary load_vocabulary_source(const std::string& path);

// Turns a v0.1/v0.2 vocabulary into v0.3's: 768 control tokens ([INST]=3, [/INST]=4, tool
// tokens, then [control_N]) inserted after </s>, for 32768 tokens.
Vocabulary extend_to_v3(const Vocabulary& v);

}  // namespace engine
