#include "resources/engine_command.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "resources/json_fields.h"
#include "resources/quantity.h"

namespace resources {

const std::vector<OperatorFlag>& operator_flags() {
  static const std::vector<OperatorFlag> kFlags = {
      {"--model", "spec.model.uri"},
      {"--host", ""},
      {"--port", ""},
      {"--served-model-name", "spec.model.servedName"},
      {"--threads", "spec.engine.threads"},
      {"--max-num-seqs", "spec.engine.maxNumSeqs"},
      {"--max-batch-tokens", "spec.engine.maxBatchTokens"},
      {"--max-model-len", "spec.engine.contextLength"},
      {"--kv-cache-memory", "spec.engine.kvCacheMemory"},
      {"--device", "spec.engine.accelerator"},
  };
  return kFlags;
}

std::string_view flag_name(std::string_view arg) {
  if (arg.size() < 3 || arg.substr(0, 2) != "--") return {};
  return arg.substr(0, arg.find('='));
}

std::string served_model_name(const nlohmann::json& isvc, const ModelSource& source) {
  if (auto name = string_field(isvc, "spec.model.servedName"); name && !name->empty()) {
    return *name;
  }
  std::string name = source.file_name;
  constexpr std::string_view kExt = ".gguf";
  if (name.size() > kExt.size() &&
      name.compare(name.size() - kExt.size(), kExt.size(), kExt) == 0) {
    name.resize(name.size() - kExt.size());
  }
  return name;
}

std::optional<int> threads_from_resources(const nlohmann::json& isvc) {
  for (const char* path : {"spec.engine.resources.limits", "spec.engine.resources.requests"}) {
    const nlohmann::json* list = object_field(isvc, path);
    if (!list || !list->contains("cpu")) continue;
    const std::optional<double> cpus = quantity_value((*list)["cpu"]);
    if (cpus && *cpus > 0) return static_cast<int>(std::min(1024.0, std::ceil(*cpus)));
  }
  return std::nullopt;
}

int effective_drain_timeout(const nlohmann::json& isvc, int fallback) {
  const nlohmann::json* extra = array_field(isvc, "spec.engine.extraArgs");
  if (!extra) return fallback;
  int result = fallback;
  for (size_t i = 0; i < extra->size(); ++i) {
    const nlohmann::json& arg = (*extra)[i];
    if (!arg.is_string()) continue;
    const std::string& a = arg.get_ref<const std::string&>();
    if (flag_name(a) != "--drain-timeout") continue;
    std::string value;
    if (a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
    } else if (i + 1 < extra->size() && (*extra)[i + 1].is_string()) {
      value = (*extra)[i + 1].get<std::string>();
    }
    int seconds = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && ptr == value.data() + value.size() && seconds >= 0) result = seconds;
  }
  return result;
}

std::vector<std::string> serve_args(const nlohmann::json& isvc, const ModelSource& source,
                                    int drain_timeout_seconds) {
  std::vector<std::string> args = {"serve",
                                   "--model",
                                   source.engine_path,
                                   "--host",
                                   "0.0.0.0",
                                   "--port",
                                   std::to_string(kEnginePort),
                                   "--served-model-name",
                                   served_model_name(isvc, source)};
  const auto add = [&args](std::string flag, std::string value) {
    args.push_back(std::move(flag));
    args.push_back(std::move(value));
  };
  // The engine runs on the first GPU the container sees (deployment.cpp requests them).
  if (string_field(isvc, "spec.engine.accelerator").value_or("cpu") == "vulkan") {
    add("--device", "vulkan");
  }
  if (auto threads = integer_field(isvc, "spec.engine.threads")) {
    add("--threads", std::to_string(*threads));
  } else if (auto cpus = threads_from_resources(isvc)) {
    add("--threads", std::to_string(*cpus));
  }
  if (auto n = integer_field(isvc, "spec.engine.maxNumSeqs"))
    add("--max-num-seqs", std::to_string(*n));
  if (auto n = integer_field(isvc, "spec.engine.maxBatchTokens")) {
    add("--max-batch-tokens", std::to_string(*n));
  }
  if (auto n = integer_field(isvc, "spec.engine.contextLength")) {
    add("--max-model-len", std::to_string(*n));
  }
  if (const nlohmann::json* kv = find_field(isvc, "spec.engine.kvCacheMemory")) {
    // The engine reads plain bytes; Kubernetes suffixes (Gi, G) differ from its own (GiB, G=GiB).
    const std::optional<int64_t> bytes = quantity_bytes(*kv);
    if (!bytes || *bytes <= 0) {
      throw SpecError("spec.engine.kvCacheMemory", "must be a positive size such as 2Gi");
    }
    add("--kv-cache-memory", std::to_string(*bytes));
  }
  bool extra_drain = false;
  std::vector<std::string> extra;
  if (const nlohmann::json* list = array_field(isvc, "spec.engine.extraArgs")) {
    for (const nlohmann::json& arg : *list) {
      if (!arg.is_string()) throw SpecError("spec.engine.extraArgs", "items must be strings");
      extra.push_back(arg.get<std::string>());
      extra_drain = extra_drain || flag_name(extra.back()) == "--drain-timeout";
    }
  }
  if (!extra_drain) add("--drain-timeout", std::to_string(drain_timeout_seconds));
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> pull_args(const nlohmann::json& isvc, const ModelSource& source) {
  std::vector<std::string> args = {"pull", source.uri, "--dest", std::string(kModelDir)};
  if (auto sha = string_field(isvc, "spec.model.sha256"); sha && !sha->empty()) {
    args.push_back("--sha256");
    args.push_back(*sha);
  }
  return args;
}

}  // namespace resources
