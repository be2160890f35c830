// Log-probabilities of the model's distribution, for the API's logprobs/top_logprobs.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tokenizer/vocabulary.h"

namespace engine {

struct LogprobResult {
  float chosen = 0;                            // log p(chosen)
  std::vector<std::pair<TokenId, float>> top;  // the k most likely tokens, best first
};

// log_softmax of the raw logits (before penalties and temperature, as vLLM reports them) at
// `chosen`, and the top `k` entries (ties to the lower id).
LogprobResult logprobs(std::span<const float> logits, TokenId chosen, int32_t k);

}  // namespace engine
