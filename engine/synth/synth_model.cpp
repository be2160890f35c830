#include "synth/synth_model.h"

#include <cmath>
#include <stdexcept>

#include "cpu/thread_pool.h"
#include "gguf/gguf_writer.h"
#include "synth/vocab_source.h"
#include "tensor/quants.h"

namespace engine {
namespace {

// llama_ftype values for general.file_type.
uint32_t llama_ftype(SynthFileType t) {
  switch (t) {
    case SynthFileType::F32: return 0;
    case SynthFileType::F16: return 1;
    case SynthFileType::Q4_0: return 2;
    case SynthFileType::Q8_0: return 7;
    case SynthFileType::Q4_K_M: return 15;
    case SynthFileType::Q5_K_M: return 17;
    case SynthFileType::Q6_K: return 18;
  }
  return 0;
}

// llama.cpp's rule for which attn_v/ffn_down layers get more bits in the _M mixes.
bool use_more_bits(int32_t layer, int32_t n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

GgmlType tensor_type(SynthFileType ft, const std::string& role, int32_t layer, int32_t n_layers) {
  switch (ft) {
    case SynthFileType::F32: return GgmlType::F32;
    case SynthFileType::F16: return GgmlType::F16;
    case SynthFileType::Q8_0: return GgmlType::Q8_0;
    case SynthFileType::Q6_K: return GgmlType::Q6_K;
    case SynthFileType::Q4_0: return role == "output" ? GgmlType::Q6_K : GgmlType::Q4_0;
    case SynthFileType::Q4_K_M:
    case SynthFileType::Q5_K_M: {
      const GgmlType base = ft == SynthFileType::Q4_K_M ? GgmlType::Q4_K : GgmlType::Q5_K;
      if (role == "output") return GgmlType::Q6_K;
      if ((role == "attn_v" || role == "ffn_down") && use_more_bits(layer, n_layers)) {
        return GgmlType::Q6_K;
      }
      return base;
    }
  }
  return GgmlType::F32;
}

// splitmix64: a tiny, well-mixed generator; one stream per (seed, tensor, row) keeps the output
// independent of thread count.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform() { return static_cast<float>((next() >> 40) + 1) * 0x1p-24f; }  // (0, 1]
  void normals(float* out, int64_t n, float stddev, float mean) {
    for (int64_t i = 0; i < n; i += 2) {
      const float r = std::sqrt(-2.0f * std::log(uniform())) * stddev;
      const float a = 6.2831853f * uniform();
      out[i] = mean + r * std::cos(a);
      if (i + 1 < n) out[i + 1] = mean + r * std::sin(a);
    }
  }
};

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  GgmlType type;
  float stddev;
  float mean;
};

}  // namespace

SynthFileType parse_synth_file_type(const std::string& name) {
  if (name == "f32") return SynthFileType::F32;
  if (name == "f16") return SynthFileType::F16;
  if (name == "q8_0") return SynthFileType::Q8_0;
  if (name == "q4_0") return SynthFileType::Q4_0;
  if (name == "q4_k_m") return SynthFileType::Q4_K_M;
  if (name == "q5_k_m") return SynthFileType::Q5_K_M;
  if (name == "q6_k") return SynthFileType::Q6_K;
  throw std::invalid_argument("unknown --type '" + name +
                              "' (expected f32, f16, q8_0, q4_0, q4_k_m, q5_k_m or q6_k)");
}

void apply_7b_shape(SynthOptions& o) {
  o.dim = 4096;
  o.n_layers = 32;
  o.n_heads = 32;
  o.n_kv_heads = 8;
  o.ff_dim = 14336;
}

void write_synthetic_model(const std::string& path, const SynthOptions& o,
                           const Vocabulary& base_vocab) {
  if (o.mistral_version != "v0.1" && o.mistral_version != "v0.2" && o.mistral_version != "v0.3") {
    throw std::invalid_argument("--mistral-version must be v0.1, v0.2 or v0.3");
  }
  if (o.dim <= 0 || o.n_layers <= 0 || o.n_heads <= 0 || o.n_kv_heads <= 0 || o.ff_dim <= 0 ||
      o.dim % o.n_heads != 0 || o.n_heads % o.n_kv_heads != 0 || (o.dim / o.n_heads) % 2 != 0) {
    throw std::invalid_argument(
        "invalid shape: dim must split evenly into heads of even size, and heads into kv-heads");
  }
  const bool v3 = o.mistral_version == "v0.3";
  const Vocabulary vocab = v3 ? extend_to_v3(base_vocab) : base_vocab;
  const auto n_vocab = static_cast<int64_t>(vocab.tokens.size());
  const int32_t head_dim = o.dim / o.n_heads;
  const int32_t kv_dim = head_dim * o.n_kv_heads;
  const int32_t window = o.sliding_window >= 0 ? o.sliding_window
                         : o.mistral_version == "v0.1" ? 4096
                                                       : 0;

  GgufWriter w;
  w.add_metadata("general.architecture", GgufValue::string("llama"));
  w.add_metadata("general.name", GgufValue::string("synthetic-mistral-" + o.mistral_version));
  w.add_metadata("general.file_type", GgufValue::u32(llama_ftype(o.file_type)));
  w.add_metadata("general.quantization_version", GgufValue::u32(2));
  w.add_metadata("llama.vocab_size", GgufValue::u32(static_cast<uint32_t>(n_vocab)));
  w.add_metadata("llama.context_length", GgufValue::u32(o.context_length));
  w.add_metadata("llama.embedding_length", GgufValue::u32(o.dim));
  w.add_metadata("llama.block_count", GgufValue::u32(o.n_layers));
  w.add_metadata("llama.feed_forward_length", GgufValue::u32(o.ff_dim));
  w.add_metadata("llama.rope.dimension_count", GgufValue::u32(head_dim));
  w.add_metadata("llama.attention.head_count", GgufValue::u32(o.n_heads));
  w.add_metadata("llama.attention.head_count_kv", GgufValue::u32(o.n_kv_heads));
  w.add_metadata("llama.attention.layer_norm_rms_epsilon", GgufValue::f32(1e-5f));
  w.add_metadata("llama.rope.freq_base", GgufValue::f32(o.mistral_version == "v0.1" ? 10000.0f
                                                                                   : 1000000.0f));
  if (window > 0) w.add_metadata("llama.attention.sliding_window", GgufValue::u32(window));

  w.add_metadata("tokenizer.ggml.model", GgufValue::string("llama"));
  std::vector<GgufValue> tokens, scores, types;
  for (int64_t i = 0; i < n_vocab; ++i) {
    tokens.push_back(GgufValue::string(vocab.tokens[i]));
    scores.push_back(GgufValue::f32(vocab.scores[i]));
    types.push_back(GgufValue::i32(static_cast<int32_t>(vocab.types[i])));
  }
  w.add_metadata("tokenizer.ggml.tokens", GgufValue::array(GgufType::STRING, std::move(tokens)));
  w.add_metadata("tokenizer.ggml.scores", GgufValue::array(GgufType::FLOAT32, std::move(scores)));
  w.add_metadata("tokenizer.ggml.token_type", GgufValue::array(GgufType::INT32, std::move(types)));
  w.add_metadata("tokenizer.ggml.bos_token_id", GgufValue::u32(vocab.bos_id));
  w.add_metadata("tokenizer.ggml.eos_token_id", GgufValue::u32(vocab.eos_id));
  w.add_metadata("tokenizer.ggml.unknown_token_id", GgufValue::u32(vocab.unk_id));
  w.add_metadata("tokenizer.ggml.add_bos_token", GgufValue::boolean(true));
  w.add_metadata("tokenizer.ggml.add_eos_token", GgufValue::boolean(false));

  // Scales keep activations near unit size through every layer and give logits a spread of a
  // few units, so greedy choices are rarely near-ties.
  const auto inv_sqrt = [](int64_t n) { return 1.0f / std::sqrt(static_cast<float>(n)); };
  std::vector<TensorSpec> specs;
  const auto add = [&](const std::string& name, std::vector<int64_t> shape, const std::string& role,
                       int32_t layer, float stddev, float mean) {
    const GgmlType t = shape.size() == 1 ? GgmlType::F32
                                         : tensor_type(o.file_type, role, layer, o.n_layers);
    specs.push_back({name, std::move(shape), t, stddev, mean});
  };
  add("token_embd.weight", {o.dim, n_vocab}, "token_embd", 0, 1.0f, 0.0f);
  for (int32_t l = 0; l < o.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {o.dim}, "norm", l, 0.1f, 1.0f);
    add(p + "attn_q.weight", {o.dim, o.dim}, "attn_q", l, inv_sqrt(o.dim), 0.0f);
    add(p + "attn_k.weight", {o.dim, kv_dim}, "attn_k", l, inv_sqrt(o.dim), 0.0f);
    add(p + "attn_v.weight", {o.dim, kv_dim}, "attn_v", l, inv_sqrt(o.dim), 0.0f);
    add(p + "attn_output.weight", {o.dim, o.dim}, "attn_output", l, inv_sqrt(o.dim), 0.0f);
    add(p + "ffn_norm.weight", {o.dim}, "norm", l, 0.1f, 1.0f);
    add(p + "ffn_gate.weight", {o.dim, o.ff_dim}, "ffn_gate", l, inv_sqrt(o.dim), 0.0f);
    add(p + "ffn_up.weight", {o.dim, o.ff_dim}, "ffn_up", l, inv_sqrt(o.dim), 0.0f);
    add(p + "ffn_down.weight", {o.ff_dim, o.dim}, "ffn_down", l, inv_sqrt(o.ff_dim), 0.0f);
  }
  add("output_norm.weight", {o.dim}, "norm", 0, 0.1f, 1.0f);
  add("output.weight", {o.dim, n_vocab}, "output", 0, 4.0f * inv_sqrt(o.dim), 0.0f);
  for (const TensorSpec& s : specs) w.add_tensor(s.name, s.shape, s.type);

  ThreadPool pool(o.threads);
  w.write(path, [&](size_t index, std::span<uint8_t> out) {
    const TensorSpec& s = specs[index];
    const int64_t cols = s.shape[0];
    const int64_t rows = static_cast<int64_t>(out.size() / row_bytes(s.type, cols));
    const size_t stride = row_bytes(s.type, cols);
    pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
      std::vector<float> row(cols);
      for (int64_t r = begin; r < end; ++r) {
        Rng rng{o.seed * 0x100000001b3ull ^ (static_cast<uint64_t>(index) << 32) ^
                static_cast<uint64_t>(r)};
        rng.normals(row.data(), cols, s.stddev, s.mean);
        quantize_row(s.type, row.data(), out.data() + r * stride, cols);
      }
    });
  });
}

}  // namespace engine
