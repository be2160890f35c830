#include "generation/generate.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <stdexcept>

#include "sampling/stop_strings.h"

namespace engine {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double GenerationResult::prompt_tokens_per_second() const {
  return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0;
}

double GenerationResult::decode_tokens_per_second() const {
  return decode_seconds > 0 ? decode_steps / decode_seconds : 0;
}

GenerationResult generate(Model& model, const Tokenizer& tokenizer, const GenerationRequest& req,
                          const std::function<void(const std::string&)>& on_text) {
  const ModelConfig& c = model.config();
  const auto n_prompt = static_cast<int32_t>(req.prompt.size());
  if (n_prompt == 0) throw std::invalid_argument("the prompt is empty");
  if (req.max_tokens < 0) throw std::invalid_argument("max_tokens must be >= 0");
  if (static_cast<int64_t>(n_prompt) + req.max_tokens > c.context_length) {
    throw std::invalid_argument("prompt (" + std::to_string(n_prompt) +
                                " tokens) plus max_tokens (" + std::to_string(req.max_tokens) +
                                ") exceeds the context length " + std::to_string(c.context_length));
  }
  KvCache cache = model.new_kv_cache((n_prompt + req.max_tokens + 15) / 16 + 1);
  const SeqId seq = 0;
  cache.reserve(seq, n_prompt + req.max_tokens);

  GenerationResult result;
  result.prompt_tokens = n_prompt;
  Sampler sampler(req.sampling);
  StopStringMatcher stops(req.stop);
  // A continuation keeps its leading space: "Once upon a" + " time", as vLLM and llama.cpp return
  // it.
  StreamingDetokenizer detok(tokenizer, /*skip_leading_space=*/false);
  std::vector<TokenId> history = req.prompt;
  const auto emit = [&](const std::string& s) {
    result.text += s;
    if (on_text && !s.empty()) on_text(s);
  };

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits;
  for (int32_t begin = 0; begin < n_prompt; begin += req.prefill_chunk) {
    const int32_t end = std::min(n_prompt, begin + req.prefill_chunk);
    std::vector<BatchEntry> batch;
    for (int32_t p = begin; p < end; ++p)
      batch.push_back({seq, p, req.prompt[p], p == n_prompt - 1});
    logits = model.forward(batch, cache);
  }
  result.prompt_seconds = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  result.finish_reason = "length";
  for (int32_t i = 0; i < req.max_tokens; ++i) {
    const TokenId next = sampler.sample(logits, history);
    if (next == tokenizer.eos()) {
      result.finish_reason = "stop";
      break;
    }
    result.tokens.push_back(next);
    history.push_back(next);
    const StopStringMatcher::Result r = stops.feed(detok.push(next));
    emit(r.text);
    if (r.stopped) {
      result.finish_reason = "stop";
      break;
    }
    if (i + 1 < req.max_tokens) {
      const BatchEntry e{seq, n_prompt + i, next, true};
      logits = model.forward(std::span(&e, 1), cache);
      ++result.decode_steps;
    }
  }
  if (!stops.stopped()) {
    StopStringMatcher::Result tail = stops.feed(detok.finish());
    emit(tail.text);
    if (!tail.stopped)
      emit(stops.finish());
    else
      result.finish_reason = "stop";
  }
  result.decode_seconds = seconds_since(t1);
  return result;
}

}  // namespace engine
