// What the forward pass runs on. Model (model/model.cpp) walks the layers top to bottom and asks
// its backend for each operation on the step's activations, named by Act; the backend owns the
// weights' working copies, the activations and the KV storage. The CPU backend runs each operation
// when asked; the Vulkan backend records them into one command buffer and runs it when the logits
// are asked for, so only the logits cross back to the host.
//
// Every backend computes each output from its own row's inputs only, in an order fixed by the
// shapes: a sequence's results do not depend on what else is in the batch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/kv_cache.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace engine {

struct BatchEntry {
  SeqId seq = 0;
  int32_t pos = 0;
  TokenId token = 0;
  bool want_logits = false;
};

// The step's activations, one row per batch entry: x is the residual stream, xb the normed (or
// block output) rows, q/k/v the projections, attn the attention output, gate/up the FFN's.
enum class Act { x, xb, q, k, v, attn, gate, up };
inline constexpr Act kActs[] = {Act::x, Act::xb,   Act::q,    Act::k,
                                Act::v, Act::attn, Act::gate, Act::up};

// The elements of one row of `a`, as a backend sizes it (xb holds the attention output's
// projection and the normed rows, so the wider of dim and q_dim).
int64_t act_width(const ModelConfig& config, Act a);

// What Model prepares on the host for a step.
struct StepInput {
  std::span<const BatchEntry> batch;
  const KvCache& cache;     // block tables; its storage is this backend's
  const float* embeddings;  // batch.size() rows of dim: the tokens' embedding rows
  const float* angles;      // batch.size() rows of rope_dim: rope_angles of each position
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu (2 threads, avx512)", "vulkan:0 (NVIDIA H100 80GB HBM3)": for logs.
  virtual std::string describe() const = 0;
  // Storage for a cache of n_blocks blocks (KvCache's constructor takes it).
  virtual std::unique_ptr<KvStorage> new_kv_storage(int32_t n_blocks, int32_t block_size) = 0;

  // Starts a step: x = the embeddings. The step's operations follow, then logits().
  virtual void begin(const StepInput& step) = 0;
  // out = rms_norm(in) * weight, row by row; weight is one of the model's norm vectors.
  virtual void rms_norm(Act in, const std::vector<float>& weight, Act out) = 0;
  // out row t = w * in row t; w is one of the model's matrices.
  virtual void matmul(const WeightMatrix& w, Act in, Act out) = 0;
  // Rotates q and k by the step's angles and stores k and v at each entry's position.
  virtual void rope_and_store_kv(int32_t layer) = 0;
  // attn = each entry's attention over its sequence's cached positions up to its own.
  virtual void attention(int32_t layer) = 0;
  // gate = silu(gate) * up.
  virtual void silu_mul() = 0;
  // x += from.
  virtual void add_to_x(Act from) = 0;
  // Ends the step: output * rms_norm(x row) * norm for each of `rows` (entry indices), n_vocab
  // logits each, in that order.
  virtual std::vector<float> logits(const std::vector<float>& norm, const WeightMatrix& output,
                                    std::span<const int64_t> rows) = 0;
};

// Which backend a model runs on: "cpu", "vulkan" (device 0) or "vulkan:N" (device N of
// `mistral-engine devices`).
struct DeviceChoice {
  enum class Kind { cpu, vulkan } kind = Kind::cpu;
  uint32_t index = 0;

  // Throws std::invalid_argument naming the accepted forms.
  static DeviceChoice parse(const std::string& text);
  std::string name() const;
};

// The backend for `device`, holding `weights` (the CPU copies or rearranges them into memory; the
// Vulkan backend uploads them). Throws std::runtime_error (vulkan::VulkanError for Vulkan) with a
// clear message when the device does not exist or the model does not fit in its memory.
std::unique_ptr<Backend> make_backend(const DeviceChoice& device, const ModelConfig& config,
                                      ModelWeights& weights, int n_threads);

}  // namespace engine
