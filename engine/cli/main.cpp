// mistral-engine: the inference engine every replica of the fleet runs.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: mistral-engine COMMAND [options]

commands:
  generate --model F.gguf --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K]
           [--top-p P] [--min-p P] [--repeat-penalty R] [--presence-penalty P]
           [--frequency-penalty P] [--stop S]... [--seed S] [--threads N]
           [--device cpu|vulkan[:N]] [--chat [--system TEXT]] [--json]
      Generate a continuation of TEXT (or, with --chat, an answer to it as a user message).
      --device picks the backend: the CPU, or Vulkan device N as `devices` lists them.
  serve --model F.gguf [--host ADDR] [--port N] [--served-model-name NAME] [--threads N]
        [--max-num-seqs N] [--max-batch-tokens N] [--max-model-len N] [--max-waiting N]
        [--kv-cache-memory SIZE] [--drain-timeout SECONDS] [--max-body-bytes SIZE]
        [--http-threads N] [--log-level LEVEL] [--device cpu|vulkan[:N]]
      Serve the OpenAI API (/v1/completions, /v1/chat/completions, /v1/models), /tokenize,
      /detokenize, /health and Prometheus /metrics, with continuous batching.
  info F.gguf [--tensors]
      Print metadata, the tensor table and the memory the model needs.
  synth --out F.gguf [--type f32|f16|q8_0|q4_0|q4_k_m|q5_k_m|q6_k] [--shape tiny|7b]
        [--mistral-version v0.1|v0.2|v0.3] [--dim N] [--layers N] [--heads N] [--kv-heads N]
        [--ff N] [--ctx N] [--sliding-window N] [--vocab-from FILE] [--seed S] [--threads N]
      Write a Mistral-architecture GGUF with seeded random weights and the real vocabulary.
  devices [--json]
      List what the engine can run on: the CPU's kernels and every Vulkan device, numbered in
      the Vulkan loader's order.
  pull URI --dest DIR [--sha256 HEX] [--file NAME]
      Download a model file to DIR/NAME (NAME: the URI's last segment), resuming a partial
      download and checking its sha256 (--sha256, else the server's X-Linked-Etag or ETag).
      URI: hf://ORG/REPO[@REVISION]/PATH (${HF_ENDPOINT:-https://huggingface.co}, token from
      HF_TOKEN) or https://HOST/PATH (token from MF_PULL_TOKEN). Prints the file's path; exits 3
      when access is denied, 4 when there is no such file, 1 on other failures.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "generate") return engine::cli::run_generate(args);
    if (command == "info") return engine::cli::run_info(args);
    if (command == "synth") return engine::cli::run_synth(args);
    if (command == "serve") return engine::cli::run_serve(args);
    if (command == "pull") return engine::cli::run_pull(args);
    if (command == "devices") return engine::cli::run_devices(args);
    std::fprintf(stderr, "mistral-engine: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const engine::cli::UsageError& e) {
    std::fprintf(stderr, "mistral-engine %s: %s\n(see mistral-engine --help)\n", command.c_str(),
                 e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mistral-engine %s: error: %s\n", command.c_str(), e.what());
    return 1;
  }
}
