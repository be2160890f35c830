// The forward pass on a Vulkan device. Weights are uploaded once into device-local buffers in
// the shaders' layout (device_layout.h); the KV cache and every activation stay on the device.
// A step's operations are recorded into one command buffer, a barrier after each, and run when
// the logits are asked for: the host sends the embeddings, RoPE angles, block tables and
// positions, and gets back only the logits. A step of the same shape as the last (decode steps
// mostly are) runs the recorded commands again with the new inputs instead of recording anew.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/vulkan_buffer.h"
#include "vulkan/vulkan_context.h"

namespace engine::vulkan {

// A KV cache's keys and values on the device: one buffer per layer for keys and one for values,
// each [block][slot][kv_dim] F16, so a binding covers one layer whatever the model's depth. Its
// bytes count in `used_bytes` (the backend's budget) while it lives; `id` tells it from every
// other storage of the backend, even one later made at the same address. Like its buffers, it
// must not outlive the backend that made it: a KvCache goes before its Model.
class VulkanKvStorage final : public KvStorage {
 public:
  VulkanKvStorage(Context& ctx, const ModelConfig& config, int32_t n_blocks, int32_t block_size,
                  uint64_t id, size_t& used_bytes);
  ~VulkanKvStorage() override;

  const Context& context() const { return ctx_; }
  uint64_t id() const { return id_; }
  int32_t n_blocks() const { return n_blocks_; }
  int32_t block_size() const { return block_size_; }
  const Buffer& keys(int32_t layer) const { return keys_[layer]; }
  const Buffer& values(int32_t layer) const { return values_[layer]; }

 private:
  const Context& ctx_;
  int32_t n_blocks_;
  int32_t block_size_;
  uint64_t id_;
  size_t& used_bytes_;
  size_t bytes_ = 0;
  std::vector<Buffer> keys_;
  std::vector<Buffer> values_;
};

class VulkanBackend final : public Backend {
 public:
  // Opens device `index` and uploads the weights. Throws VulkanError when the device does not
  // exist or the model does not fit in its memory.
  VulkanBackend(uint32_t index, const ModelConfig& config, const ModelWeights& weights);

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

  // Steps that ran the last step's recorded commands again.
  int64_t replayed_steps() const { return replayed_steps_; }

 private:
  // A weight matrix in the device layout: its quants (F32/F16: values) and block scales, in
  // parts of whole rows that one binding can cover each (most matrices are one part).
  struct Matrix {
    struct Part {
      int64_t row0, rows;
      std::unique_ptr<Buffer> quants, scales;
    };
    GgmlType type;
    int64_t rows, cols;
    std::vector<Part> parts;
  };
  // Activations converted for integer matmuls: quants, block scales and (Q8_K) 16-sums.
  struct Quantized {
    std::unique_ptr<Buffer> quants, scales, sums;
  };

  void upload_weights(const ModelWeights& weights);
  // A device-local buffer of `bytes`, counted against the device's memory; `what` names it in
  // the error when it does not fit.
  std::unique_ptr<Buffer> allocate(size_t bytes, const std::string& what);
  // Throws VulkanError unless `bytes` more fit in the device's memory; `what` names them.
  void check_fits(size_t bytes, const std::string& what) const;
  // Throws VulkanError unless one buffer of `bytes` is within what the device allocates and binds
  // at once; `what` names what needs it.
  void check_buffer(uint64_t bytes, const std::string& what) const;
  std::unique_ptr<Buffer> device_copy(const void* data, size_t bytes, const std::string& what);
  // Grows the step's buffers to hold n entries, max_blocks table entries and max_positions
  // attended positions each.
  void reserve_step(int64_t n, int64_t max_blocks, int64_t max_positions);
  const Buffer& rows(Act a) const;
  void wrote(Act a);
  // Records a dispatch of `name` and a barrier before whatever reads its output.
  template <typename Push>
  void dispatch(const char* name, std::initializer_list<const Buffer*> buffers, const Push& push,
                uint32_t groups_x, uint32_t groups_y = 1);
  // A shader with one invocation per item (grid.glsl) in workgroups of per_group, spread over y
  // where x alone would pass the device's limit.
  template <typename Push>
  void dispatch_elements(const char* name, std::initializer_list<const Buffer*> buffers,
                         const Push& push, int64_t items, int64_t per_group);
  void barrier();
  void record_rms_norm(const Buffer& in, int64_t n, const std::vector<float>& weight,
                       const Buffer& out);
  void record_matmul(const Matrix& m, Act in_act, const Buffer& in, int64_t n, const Buffer& out);

  Context ctx_;
  const ModelConfig& config_;
  // Device memory taken: weights, KV caches, the step's and the logits' buffers.
  size_t used_bytes_ = 0;
  size_t step_bytes_ = 0;  // of which the step's buffers
  std::unordered_map<std::string, std::unique_ptr<ComputePipeline>> pipelines_;
  std::unordered_map<const void*, Matrix> matrices_;                // by &WeightMatrix
  std::unordered_map<const void*, std::unique_ptr<Buffer>> norms_;  // by &std::vector<float>

  // What a step's commands depend on beyond the buffers (which only grow, and whose
  // replacement forgets the recording): everything else comes from the host's inputs.
  struct StepShape {
    int64_t n;
    uint64_t kv;
    std::vector<bool> want_logits;
    bool operator==(const StepShape&) const = default;
  };

  // The step's commands: recorded by begin() and the operations, or run again as they are.
  VkCommandBuffer cb_ = VK_NULL_HANDLE;
  std::optional<StepShape> recorded_;  // the shape cb_ holds, once its recording has ended
  StepShape shape_;                    // the step's
  bool replaying_ = false;
  int64_t replayed_steps_ = 0;
  uint64_t next_kv_id_ = 0;
  int64_t n_ = 0;
  const VulkanKvStorage* kv_ = nullptr;
  // Capacities the step buffers were made for.
  int64_t cap_n_ = 0, cap_blocks_ = 0, cap_positions_ = 0;
  std::unique_ptr<Buffer> host_in_;  // embeddings, angles, tables, positions
  std::unique_ptr<Buffer> angles_, tables_, positions_, scores_;
  int64_t cap_logit_rows_ = 0;
  std::unique_ptr<Buffer> gathered_, logits_, host_logits_;  // the rows wanting logits
  std::unordered_map<Act, std::unique_ptr<Buffer>> acts_;
  Quantized quantized_;
  std::optional<std::pair<Act, GgmlType>> quantized_of_;
};

}  // namespace engine::vulkan
