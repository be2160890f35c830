#include "model/model_config.h"

#include <stdexcept>

#include "gguf/gguf_file.h"

namespace engine {
namespace {

class MetadataReader {
 public:
  MetadataReader(const GgufFile& f, std::string prefix) : f_(f), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw std::runtime_error(f_.name() + ": metadata '" + key + "' " + what);
  }

  int32_t integer(const std::string& suffix, int64_t lo, int64_t hi, int64_t fallback = -1) const {
    const std::string key = prefix_ + suffix;
    const GgufValue* v = f_.find(key);
    if (!v) {
      if (fallback >= 0) return static_cast<int32_t>(fallback);
      fail(key, "is missing");
    }
    const auto i = v->as_int();
    if (!i) fail(key, "must be an integer, got " + v->to_display_string());
    if (*i < lo || *i > hi) {
      fail(key, "is " + std::to_string(*i) + ", outside " + std::to_string(lo) + ".." +
                    std::to_string(hi));
    }
    return static_cast<int32_t>(*i);
  }

  float number(const std::string& suffix, float fallback, double lo, double hi) const {
    const std::string key = prefix_ + suffix;
    const GgufValue* v = f_.find(key);
    if (!v) return fallback;
    const auto d = v->as_number();
    if (!d) fail(key, "must be a number, got " + v->to_display_string());
    if (!(*d > lo && *d < hi)) fail(key, "is " + v->to_display_string() + ", out of range");
    return static_cast<float>(*d);
  }

 private:
  const GgufFile& f_;
  std::string prefix_;
};

}  // namespace

ModelConfig ModelConfig::from_gguf(const GgufFile& f) {
  const GgufValue* arch = f.find("general.architecture");
  if (!arch || !arch->as_string()) {
    throw std::runtime_error(f.name() + ": metadata 'general.architecture' is missing");
  }
  if (*arch->as_string() != "llama") {
    throw std::runtime_error(f.name() + ": architecture '" + *arch->as_string() +
                             "' is not supported (Mistral models use 'llama')");
  }
  MetadataReader md(f, "llama.");
  ModelConfig c;
  if (const GgufValue* n = f.find("general.name"); n && n->as_string()) c.name = *n->as_string();
  c.dim = md.integer("embedding_length", 1, 1 << 16);
  c.n_layers = md.integer("block_count", 1, 1024);
  c.n_heads = md.integer("attention.head_count", 1, 1024);
  c.n_kv_heads = md.integer("attention.head_count_kv", 1, c.n_heads, c.n_heads);
  if (c.n_heads % c.n_kv_heads != 0) {
    md.fail("llama.attention.head_count_kv", "(" + std::to_string(c.n_kv_heads) +
                                                 ") must divide head_count (" +
                                                 std::to_string(c.n_heads) + ")");
  }
  if (c.dim % c.n_heads != 0 && !f.find("llama.attention.key_length")) {
    md.fail("llama.embedding_length", "is not divisible by the head count");
  }
  c.head_dim = md.integer("attention.key_length", 2, 1024, c.dim / c.n_heads);
  if (md.integer("attention.value_length", 2, 1024, c.head_dim) != c.head_dim) {
    md.fail("llama.attention.value_length", "differs from key_length, which Mistral never does");
  }
  if (c.head_dim % 2 != 0) md.fail("llama.attention.key_length", "must be even for RoPE");
  c.ff_dim = md.integer("feed_forward_length", 1, 1 << 20);
  c.rope_dim = md.integer("rope.dimension_count", 2, c.head_dim, c.head_dim);
  if (c.rope_dim % 2 != 0) md.fail("llama.rope.dimension_count", "must be even");
  c.context_length = md.integer("context_length", 1, 1 << 24);
  c.sliding_window = md.integer("attention.sliding_window", 0, 1 << 24, 0);
  c.rope_theta = md.number("rope.freq_base", 10000.0f, 0.0, 1e12);
  c.rms_eps = md.number("attention.layer_norm_rms_epsilon", 1e-5f, 0.0, 1.0);
  // The vocabulary size is taken from the token list (the loader checks the embedding matches).
  const GgufValue* tokens = f.find("tokenizer.ggml.tokens");
  if (!tokens || !tokens->as_array() || tokens->as_array()->items.empty()) {
    throw std::runtime_error(f.name() + ": metadata 'tokenizer.ggml.tokens' is missing or empty");
  }
  c.n_vocab = static_cast<int32_t>(tokens->as_array()->items.size());
  return c;
}

}  // namespace engine
