#include "workload.h"

#include <algorithm>
#include <cmath>

namespace loadgen {

using nlohmann::json;

int PromptFit::words_for(int tokens) const {
  const double words = (tokens - overhead) / std::max(tokens_per_word, 0.05);
  return std::max(1, static_cast<int>(std::lround(words)));
}

Workload::Workload(const Options& options, std::string model, PromptFit fit)
    : options_(options), model_(std::move(model)), fit_(fit), prompts_(options.seed) {}

json Workload::prompt_json(uint64_t index, int words) const {
  const std::string text = prompts_.build(index, words);
  json j = json::object();
  if (!model_.empty()) j["model"] = model_;
  if (options_.endpoint == Endpoint::Chat) {
    j["messages"] = json::array({{{"role", "user"}, {"content", text}}});
  } else {
    j["prompt"] = text;
  }
  return j;
}

std::string Workload::body(uint64_t index) const {
  json j = prompt_json(index, fit_.words_for(options_.prompt_tokens));
  j["max_tokens"] = options_.max_tokens;
  j["temperature"] = options_.temperature;
  j["stream"] = options_.stream;
  // The usage chunk gives the exact token count; chunks may carry several tokens or none.
  if (options_.stream) j["stream_options"] = {{"include_usage", true}};
  // A vLLM extension; sent only when asked, since OpenAI itself rejects unknown fields.
  if (options_.ignore_eos) j["ignore_eos"] = true;
  return j.dump();
}

}  // namespace loadgen
