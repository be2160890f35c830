// What the tool asks the server before the load: the model to name (GET /v1/models) and how many
// tokens the prompt words make (POST /tokenize, which vLLM and mistral-engine both serve). Both
// are optional: a server without them still gets load, with --model and a guess.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "load_client.h"
#include "workload.h"

namespace loadgen {

struct ServerInfo {
  std::string model;  // empty: none found, requests go without a model field
  std::optional<int64_t> max_model_len;
  PromptFit fit;
  std::vector<std::string> warnings;
};

net::awaitable<ServerInfo> probe_server(LoadClient& client, const Options& options);

}  // namespace loadgen
