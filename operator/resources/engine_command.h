// The mistral-engine command lines of an InferenceService's pods:
//   engine:  mistral-engine serve --model PATH --host 0.0.0.0 --port 8000
//            --served-model-name NAME [--threads N] [--max-num-seqs N] [--max-batch-tokens N]
//            [--max-model-len N] [--kv-cache-memory BYTES] [--drain-timeout S] EXTRA_ARGS...
//   init:    mistral-engine pull URI --dest /models [--sha256 HEX]
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resources/model_source.h"

namespace resources {

inline constexpr int kEnginePort = 8000;
// The engine container's port name: the Service, the probes and the autoscaler's scrapes use it.
inline constexpr const char* kHttpPortName = "http";

// A serve flag the operator writes, and the spec field that sets it ("" when the operator
// alone decides it). extraArgs may not repeat these: the engine would pick one of the two.
struct OperatorFlag {
  std::string_view flag;
  std::string_view spec_field;
};
const std::vector<OperatorFlag>& operator_flags();

// The flag name an argument sets ("--threads" for "--threads" and "--threads=4"), or "" for
// an argument that is not a flag.
std::string_view flag_name(std::string_view arg);

// spec.model.servedName, or the file name without ".gguf".
std::string served_model_name(const nlohmann::json& isvc, const ModelSource& source);

// --threads when spec.engine.threads is unset: the CPUs the container may use (its CPU limit,
// else its request, rounded up). The engine would otherwise count the node's CPUs, which
// oversubscribes a pod limited to a few of them. nullopt when neither is set.
std::optional<int> threads_from_resources(const nlohmann::json& isvc);

// The drain timeout the engine will use: a --drain-timeout in spec.engine.extraArgs, else
// `fallback`.
int effective_drain_timeout(const nlohmann::json& isvc, int fallback);

// Arguments after the executable name.
std::vector<std::string> serve_args(const nlohmann::json& isvc, const ModelSource& source,
                                    int drain_timeout_seconds);
std::vector<std::string> pull_args(const nlohmann::json& isvc, const ModelSource& source);

}  // namespace resources
