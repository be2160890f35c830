// Generates one sequence's continuation: prefill in chunks, then decode token by token.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/model.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace engine {

struct GenerationRequest {
  std::vector<TokenId> prompt;
  int32_t max_tokens = 128;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings; generation also stops at EOS
  int32_t prefill_chunk = 256;    // prompt tokens per forward pass
};

struct GenerationResult {
  std::vector<TokenId> tokens;  // generated ids (EOS excluded)
  std::string text;
  std::string finish_reason;  // "stop" (EOS or stop string) or "length"
  int32_t prompt_tokens = 0;
  int32_t decode_steps = 0;  // single-token forward passes after the prompt
  double prompt_seconds = 0;
  double decode_seconds = 0;
  double prompt_tokens_per_second() const;
  double decode_tokens_per_second() const;
};

// `on_text` receives text as soon as it is safe to show (whole UTF-8 characters, never part of a
// stop string). Throws std::invalid_argument when the prompt is empty or does not fit the context.
GenerationResult generate(Model& model, const Tokenizer& tokenizer, const GenerationRequest& request,
                          const std::function<void(const std::string&)>& on_text = {});

}  // namespace engine
