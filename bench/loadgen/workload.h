// The request bodies of a run: one JSON body per request index, from the options, the model and
// how many words make the asked-for number of prompt tokens.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "options.h"
#include "prompt_builder.h"

namespace loadgen {

// tokens ≈ overhead + tokens_per_word × words, fitted on the server's tokenizer when it has a
// /tokenize endpoint; overhead is BOS and, for chat, the template around the message.
struct PromptFit {
  double tokens_per_word = 1.0;
  double overhead = 0;
  bool calibrated = false;

  int words_for(int tokens) const;
};

class Workload {
 public:
  Workload(const Options& options, std::string model, PromptFit fit);

  // Measured requests count from 0; warmup requests draw from another range so their prompts
  // never repeat a measured one.
  std::string body(uint64_t index) const;
  std::string warmup_body(uint64_t index) const { return body(index | (uint64_t{1} << 63)); }

  // A request body for words of prompt text; also what calibration tokenizes.
  nlohmann::json prompt_json(uint64_t index, int words) const;

  const std::string& model() const { return model_; }
  const PromptFit& fit() const { return fit_; }

 private:
  const Options& options_;
  const std::string model_;
  const PromptFit fit_;
  const PromptBuilder prompts_;
};

}  // namespace loadgen
