#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "synth/synth_model.h"
#include "synth/vocab_source.h"

namespace engine::cli {

int run_synth(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"out", "type", "shape", "mistral-version", "dim", "layers", "heads", "kv-heads",
                   "ff", "ctx", "sliding-window", "vocab-from", "seed", "threads"},
                  {});
  SynthOptions o;
  const std::string out = args.required("out");
  o.file_type = parse_synth_file_type(args.str("type", "q4_k_m"));
  o.mistral_version = args.str("mistral-version", "v0.2");
  const std::string shape = args.str("shape", "tiny");
  if (shape == "7b") {
    apply_7b_shape(o);
  } else if (shape != "tiny") {
    throw UsageError("--shape must be tiny or 7b");
  }
  o.dim = static_cast<int32_t>(args.integer("dim", o.dim, 2, 65536));
  o.n_layers = static_cast<int32_t>(args.integer("layers", o.n_layers, 1, 1024));
  o.n_heads = static_cast<int32_t>(args.integer("heads", o.n_heads, 1, 1024));
  o.n_kv_heads = static_cast<int32_t>(args.integer("kv-heads", o.n_kv_heads, 1, 1024));
  o.ff_dim = static_cast<int32_t>(args.integer("ff", o.ff_dim, 1, 1 << 20));
  o.context_length = static_cast<int32_t>(args.integer("ctx", o.context_length, 1, 1 << 24));
  o.sliding_window = static_cast<int32_t>(args.integer("sliding-window", -1, -1, 1 << 24));
  o.seed = static_cast<uint64_t>(args.integer("seed", 1, 0, INT64_MAX));
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.threads = static_cast<int>(args.integer("threads", hw, 1, 1024));

  const std::string vocab_path =
      args.str("vocab-from", "node_modules/mistral-tokenizer-js/mistral-tokenizer.js");
  if (!std::filesystem::exists(vocab_path)) {
    throw UsageError("vocabulary source '" + vocab_path +
                     "' not found: run `npm install mistral-tokenizer-js` here, or pass "
                     "--vocab-from with that package's mistral-tokenizer.js or a GGUF file");
  }
  write_synthetic_model(out, o, load_vocabulary_source(vocab_path));
  std::fprintf(stderr, "wrote %s (%.1f MiB)\n", out.c_str(),
               static_cast<double>(std::filesystem::file_size(out)) / (1 << 20));
  return 0;
}

}  // namespace engine::cli
