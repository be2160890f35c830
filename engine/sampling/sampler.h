// Turns one step's logits into the next token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "tokenizer/vocabulary.h"

namespace engine {

struct SamplingParams {
  float temperature = 1.0f;         // 0 means greedy
  int32_t top_k = 0;                // 0 = off
  float top_p = 1.0f;               // 1 = off
  float min_p = 0.0f;               // 0 = off
  float repetition_penalty = 1.0f;  // 1 = off; llama.cpp/CTRL style, over the penalty window
  float presence_penalty = 0.0f;    // OpenAI style
  float frequency_penalty = 0.0f;   // OpenAI style
  int32_t penalty_last_n = 64;      // tokens of history the penalties see; -1 = all
  std::optional<uint64_t> seed;     // same seed, same output; unset = random
};

// One per sequence; not thread-safe. Pipeline (llama.cpp/vLLM order): penalties, then greedy
// argmax if temperature <= 0, else top-k, temperature, softmax, top-p, min-p, renormalize, draw.
// The constructor throws std::invalid_argument on nonsense (repetition_penalty <= 0, NaNs).
class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // Picks a token from `logits` (one per vocabulary entry) given the tokens produced so far
  // (prompt and generated: penalties look at the last penalty_last_n of them). `logits` may be
  // modified: on return it holds the penalized logits (later stages work on a private copy).
  // Throws std::invalid_argument on empty logits.
  TokenId sample(std::span<float> logits, std::span<const TokenId> history);

  const SamplingParams& params() const { return params_; }

 private:
  void apply_penalties(std::span<float> logits, std::span<const TokenId> history);
  size_t top_p_cut(size_t count, bool sorted, double target);

  SamplingParams params_;
  std::mt19937_64 rng_;
  // Scratch reused across calls so a step allocates nothing once warmed up.
  std::vector<std::pair<float, TokenId>> candidates_;
  std::vector<int32_t> counts_;      // per-token occurrences in the penalty window; kept all-zero
  std::vector<TokenId> touched_;     // distinct tokens whose counts_ entry is nonzero
  std::vector<double> bucket_mass_;  // top-p histogram
};

// Index of the largest logit; ties go to the lowest id, as llama.cpp's greedy sampler does.
TokenId argmax(std::span<const float> logits);

}  // namespace engine
