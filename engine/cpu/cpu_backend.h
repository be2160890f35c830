// The forward pass's operations on the CPU (cpu/ops.h over a thread pool), each run when asked.
#pragma once

#include <optional>

#include "backend/backend.h"
#include "cpu/cpu_kv_storage.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace engine {

class CpuBackend final : public Backend {
 public:
  // Copies the matrices into memory (rearranged where this CPU has group kernels).
  CpuBackend(const ModelConfig& config, ModelWeights& weights, int n_threads);

  std::string describe() const override;
  std::unique_ptr<KvStorage> new_kv_storage(int32_t n_blocks, int32_t block_size) override;
  void begin(const StepInput& step) override;
  void rms_norm(Act in, const std::vector<float>& weight, Act out) override;
  void matmul(const WeightMatrix& w, Act in, Act out) override;
  void rope_and_store_kv(int32_t layer) override;
  void attention(int32_t layer) override;
  void silu_mul() override;
  void add_to_x(Act from) override;
  std::vector<float> logits(const std::vector<float>& norm, const WeightMatrix& output,
                            std::span<const int64_t> rows) override;

 private:
  std::vector<float>& rows(Act a);
  // Records that `a` changed, so the converted matmul input is stale if it was a's.
  void wrote(Act a);
  void norm_rows(const float* x, const std::vector<float>& weight, float* out, int64_t n);

  const ModelConfig& config_;
  ThreadPool pool_;

  std::span<const BatchEntry> batch_;
  const KvCache* cache_ = nullptr;
  CpuKvStorage* kv_ = nullptr;
  const float* angles_ = nullptr;
  std::vector<float> x_, xb_, q_, k_, v_, attn_, gate_, up_;
  // Q, K and V multiply the same input, as do gate and up: it is converted once.
  MatmulInput input_;
  std::optional<Act> input_of_;
};

}  // namespace engine
