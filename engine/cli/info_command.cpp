#include <cstdio>
#include <map>

#include "cli/args.h"
#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "model/kv_cache.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace engine::cli {
namespace {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", b, units[u]);
  return buf;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? " x " : "") + std::to_string(shape[i]);
  return s;
}

}  // namespace

int run_info(const std::vector<std::string>& argv) {
  const Args args(argv, {}, {"tensors"});
  if (args.positional().size() != 1) throw UsageError("info takes one GGUF file");
  const GgufFile f = GgufFile::open(args.positional()[0]);

  std::printf("file: %s\nGGUF version: %u, alignment %llu, %s\n\nmetadata (%zu):\n",
              f.name().c_str(), f.version(), static_cast<unsigned long long>(f.alignment()),
              human_bytes(static_cast<double>(f.file_size())).c_str(), f.metadata().size());
  for (const auto& [key, value] : f.metadata()) {
    std::printf("  %-42s %-4s %s\n", key.c_str(), std::string(gguf_type_name(value.type())).c_str(),
                value.to_display_string().c_str());
  }

  size_t weight_bytes = 0;
  std::map<std::string, std::pair<int, size_t>> by_type;
  for (const GgufTensorInfo& t : f.tensors()) {
    weight_bytes += t.n_bytes;
    auto& [count, bytes] = by_type[std::string(type_info(t.type).name)];
    ++count;
    bytes += t.n_bytes;
  }
  std::printf("\ntensors: %zu, %s\n", f.tensors().size(),
              human_bytes(double(weight_bytes)).c_str());
  for (const auto& [type, cb] : by_type) {
    std::printf("  %-6s %4d tensors  %s\n", type.c_str(), cb.first,
                human_bytes(double(cb.second)).c_str());
  }
  if (args.flag("tensors")) {
    std::printf("\n  %-32s %-6s %-22s %12s\n", "name", "type", "shape", "bytes");
    for (const GgufTensorInfo& t : f.tensors()) {
      std::printf("  %-32s %-6s %-22s %12zu\n", t.name.c_str(),
                  std::string(type_info(t.type).name).c_str(), shape_string(t.shape).c_str(),
                  t.n_bytes);
    }
  }

  // The model checks run last so a file that is valid GGUF but not a usable model still prints.
  const ModelConfig c = ModelConfig::from_gguf(f);
  ModelWeights::from_gguf(f, c);
  const size_t kv_per_token = KvCache::bytes_per_token(c);
  std::printf(
      "\nmodel: %s\n  vocab %d, dim %d, layers %d, heads %d (kv %d, head dim %d), ff %d\n"
      "  context %d, rope theta %g, rms eps %g, sliding window %s\n",
      c.name.c_str(), c.n_vocab, c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.ff_dim,
      c.context_length, c.rope_theta, c.rms_eps,
      c.sliding_window ? std::to_string(c.sliding_window).c_str() : "none");
  const int32_t ctx4k = std::min(c.context_length, 4096);
  std::printf(
      "memory:\n  weights (mapped)          %s\n  KV cache per token (F16)  %s\n"
      "  KV cache for %d tokens  %s\n  KV cache for full context %s\n"
      "  total at %d tokens       %s\n",
      human_bytes(double(weight_bytes)).c_str(), human_bytes(double(kv_per_token)).c_str(), ctx4k,
      human_bytes(double(kv_per_token) * ctx4k).c_str(),
      human_bytes(double(kv_per_token) * c.context_length).c_str(), ctx4k,
      human_bytes(double(weight_bytes) + double(kv_per_token) * ctx4k).c_str());
  return 0;
}

}  // namespace engine::cli
