// What the server asks of the scheduler for one generated sequence, and what it hears back.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sampling/sampler.h"
#include "tokenizer/vocabulary.h"

namespace engine {

using Clock = std::chrono::steady_clock;

struct SequenceSpec {
  std::vector<TokenId> prompt;
  int32_t max_tokens = 16;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings; EOS also stops unless ignore_eos
  bool ignore_eos = false;
  int32_t logprobs = -1;  // -1: none; k >= 0: the chosen token's logprob and the top k
};

enum class FinishReason { Stop, Length, Abort };
const char* finish_reason_name(FinishReason r);

struct TokenLogprob {
  TokenId token = 0;
  float logprob = 0;
  std::vector<std::pair<TokenId, float>> top;  // best first
};

// One step's news for a sequence. Text is whole UTF-8 characters, never part of a stop string.
struct SequenceOutput {
  std::string text;
  std::vector<TokenId> tokens;
  std::vector<TokenLogprob> logprobs;  // one per token when requested
  std::optional<FinishReason> finish;  // set on the sequence's last output
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;  // so far
  int32_t cached_prompt_tokens = 0;
};

// Called on the engine's thread; must not block.
using OutputSink = std::function<void(SequenceOutput&&)>;

}  // namespace engine
