#include "vulkan/vulkan_backend.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "tensor/quants.h"
#include "vulkan/device_layout.h"
#include "vulkan/grids.h"
#include "vulkan/shaders.h"

namespace engine::vulkan {
namespace {

constexpr uint32_t kAttentionLanes = 256;  // attention.comp's workgroup: head_dim at most this
constexpr uint32_t kMatvecPush = sizeof(MatvecShape);

std::string mib(size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// The most bytes one buffer may hold and a binding cover.
uint64_t max_buffer_bytes(const DeviceInfo& d) {
  return std::min(d.max_storage_buffer_range, d.max_allocation_bytes);
}

// Each shader's storage buffers and push-constant bytes.
struct PipelineSpec {
  const char* name;
  uint32_t n_buffers;
  uint32_t push_bytes;
};
constexpr PipelineSpec kPipelines[] = {
    {"rms_norm", 3, 8},
    {"matvec_f32", 3, kMatvecPush},
    {"matvec_f16", 3, kMatvecPush},
    {"matvec_q4_0", 5, kMatvecPush},
    {"matvec_q8_0", 5, kMatvecPush},
    {"matvec_q4_k", 6, kMatvecPush},
    {"matvec_q5_k", 6, kMatvecPush},
    {"matvec_q6_k", 6, kMatvecPush},
    {"quantize_q8_0", 3, 4},
    {"quantize_q8_k", 4, 4},
    {"rope", 2, 16},
    {"kv_store", 6, 24},
    {"attention", 7, 40},
    {"silu_mul", 2, 4},
    {"add", 2, 4},
};

const char* matvec_shader(GgmlType t) {
  switch (t) {
    case GgmlType::F32:
      return "matvec_f32";
    case GgmlType::F16:
      return "matvec_f16";
    case GgmlType::Q4_0:
      return "matvec_q4_0";
    case GgmlType::Q8_0:
      return "matvec_q8_0";
    case GgmlType::Q4_K:
      return "matvec_q4_k";
    case GgmlType::Q5_K:
      return "matvec_q5_k";
    case GgmlType::Q6_K:
      return "matvec_q6_k";
    default:
      return nullptr;
  }
}

}  // namespace

VulkanKvStorage::VulkanKvStorage(Context& ctx, const ModelConfig& config, int32_t n_blocks,
                                 int32_t block_size, uint64_t id, size_t& used_bytes)
    : ctx_(ctx), n_blocks_(n_blocks), block_size_(block_size), id_(id), used_bytes_(used_bytes) {
  const size_t bytes = static_cast<size_t>(n_blocks) * block_size * config.kv_dim() * 2;
  for (int32_t l = 0; l < config.n_layers; ++l) {
    keys_.emplace_back(ctx, bytes, Buffer::Memory::device);
    values_.emplace_back(ctx, bytes, Buffer::Memory::device);
  }
  bytes_ = 2 * bytes * config.n_layers;
  used_bytes_ += bytes_;
}

VulkanKvStorage::~VulkanKvStorage() { used_bytes_ -= bytes_; }

VulkanBackend::VulkanBackend(uint32_t index, const ModelConfig& config, const ModelWeights& weights)
    : ctx_(index), config_(config) {
  if (config.head_dim > static_cast<int32_t>(kAttentionLanes) || config.rope_dim % 2 != 0) {
    throw VulkanError("the Vulkan attention takes heads of at most " +
                      std::to_string(kAttentionLanes) + " elements; this model's are " +
                      std::to_string(config.head_dim));
  }
  for (const PipelineSpec& p : kPipelines) {
    // The integer matvecs in their integer-dot build where the device has it (dot4.glsl).
    const bool int8 = ctx_.int8_dot() && std::string_view(p.name).starts_with("matvec_q");
    const std::string name = int8 ? std::string(p.name) + "_int8" : p.name;
    pipelines_.emplace(
        p.name, std::make_unique<ComputePipeline>(ctx_, shader(name), p.n_buffers, p.push_bytes));
  }
  cb_ = ctx_.new_command_buffer();
  upload_weights(weights);
}

std::string VulkanBackend::describe() const {
  return "vulkan:" + std::to_string(ctx_.info().index) + " (" + ctx_.info().name +
         (ctx_.int8_dot() ? ", integer dot products" : "") + ")";
}

void VulkanBackend::check_fits(size_t bytes, const std::string& what) const {
  const DeviceInfo& d = ctx_.info();
  if (used_bytes_ + bytes > d.device_local_bytes) {
    throw VulkanError(what + " needs " + mib(bytes) + " of device memory; Vulkan device " +
                      std::to_string(d.index) + " (" + d.name + ") has " +
                      mib(d.device_local_bytes - used_bytes_) + " left of " +
                      mib(d.device_local_bytes));
  }
}

void VulkanBackend::check_buffer(uint64_t bytes, const std::string& what) const {
  if (bytes > max_buffer_bytes(ctx_.info())) {
    throw VulkanError(what + " needs a buffer of " + mib(bytes) + "; Vulkan device " +
                      std::to_string(ctx_.info().index) + " takes buffers of at most " +
                      mib(max_buffer_bytes(ctx_.info())) +
                      " (maxStorageBufferRange, maxMemoryAllocationSize)");
  }
}

std::unique_ptr<Buffer> VulkanBackend::allocate(size_t bytes, const std::string& what) {
  check_fits(bytes, what);
  auto b = std::make_unique<Buffer>(ctx_, std::max<size_t>(bytes, 4), Buffer::Memory::device);
  used_bytes_ += bytes;
  return b;
}

std::unique_ptr<Buffer> VulkanBackend::device_copy(const void* data, size_t bytes,
                                                   const std::string& what) {
  check_buffer(bytes, what);
  std::unique_ptr<Buffer> b = allocate(bytes, what);
  upload(ctx_, *b, 0, data, bytes);
  return b;
}

void VulkanBackend::upload_weights(const ModelWeights& weights) {
  // The whole model is checked first, so a model that cannot fit fails before any upload.
  size_t total = 0;
  auto count = [&](const WeightMatrix& w) { total += w.row_stride * static_cast<size_t>(w.rows); };
  for (const LayerWeights& L : weights.layers) {
    for (const WeightMatrix* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      count(*w);
    }
  }
  count(weights.output);
  check_fits(total, "the model's matrices");
  auto add_matrix = [&](const WeightMatrix& w) {
    if (matrices_.count(&w)) return;  // output tied to token_embd is still one matrix
    if (matvec_shader(w.type) == nullptr) {
      throw VulkanError(w.name + " is " + std::string(type_info(w.type).name) +
                        ", which the Vulkan shaders do not read");
    }
    const DeviceMatrix d = to_device_layout(w.type, w.data, w.row_stride, w.rows, w.cols);
    // Each row's quants and scales are contiguous: split at whole rows, into parts that a
    // binding covers and whose row tiles a dispatch reaches.
    const size_t quant_row = d.quants.size() / w.rows * 4, scale_row = d.scales.size() / w.rows * 4;
    const auto per_part = static_cast<int64_t>(
        std::min<uint64_t>(max_buffer_bytes(ctx_.info()) / std::max(quant_row, scale_row),
                           uint64_t{ctx_.info().max_groups_x} * kMatvecRows));
    if (per_part == 0) {
      throw VulkanError(w.name + ": one row is more than a buffer may hold (" +
                        mib(max_buffer_bytes(ctx_.info())) + ")");
    }
    Matrix m{w.type, w.rows, w.cols, {}};
    for (int64_t r0 = 0; r0 < w.rows; r0 += per_part) {
      const int64_t n = std::min(per_part, w.rows - r0);
      Matrix::Part part{r0, n, device_copy(&d.quants[r0 * quant_row / 4], n * quant_row, w.name),
                        nullptr};
      if (scale_row > 0) {
        part.scales = device_copy(&d.scales[r0 * scale_row / 4], n * scale_row, w.name + " scales");
      }
      m.parts.push_back(std::move(part));
    }
    matrices_.emplace(&w, std::move(m));
  };
  auto add_norm = [&](const std::vector<float>& v, const std::string& name) {
    norms_.emplace(&v, device_copy(v.data(), v.size() * 4, name));
  };
  for (size_t l = 0; l < weights.layers.size(); ++l) {
    const LayerWeights& L = weights.layers[l];
    const std::string prefix = "blk." + std::to_string(l) + ".";
    add_norm(L.attn_norm, prefix + "attn_norm.weight");
    add_norm(L.ffn_norm, prefix + "ffn_norm.weight");
    for (const WeightMatrix* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      add_matrix(*w);
    }
  }
  add_norm(weights.output_norm, "output_norm.weight");
  add_matrix(weights.output);
}

std::unique_ptr<KvStorage> VulkanBackend::new_kv_storage(int32_t n_blocks, int32_t block_size) {
  const size_t bytes = KvCache::bytes_per_token(config_) * n_blocks * block_size;
  const std::string what = "a KV cache of " + std::to_string(n_blocks) + " blocks";
  check_fits(bytes, what);
  // One buffer for each layer's keys and one for its values.
  check_buffer(bytes / (2 * config_.n_layers), what + " (per layer, for keys and for values)");
  return std::make_unique<VulkanKvStorage>(ctx_, config_, n_blocks, block_size, next_kv_id_++,
                                           used_bytes_);
}

const Buffer& VulkanBackend::rows(Act a) const { return *acts_.at(a); }

void VulkanBackend::wrote(Act a) {
  if (quantized_of_ && quantized_of_->first == a) quantized_of_.reset();
}

void VulkanBackend::reserve_step(int64_t n, int64_t max_blocks, int64_t max_positions) {
  if (n <= cap_n_ && max_blocks <= cap_blocks_ && max_positions <= cap_positions_) return;
  const ModelConfig& c = config_;
  const int64_t cap_n = std::max(n, cap_n_), blocks = std::max(max_blocks, cap_blocks_);
  const int64_t positions = std::max(max_positions, cap_positions_);
  const int64_t max_cols = std::max<int64_t>({c.dim, c.q_dim(), c.ff_dim});
  // Bytes of each buffer. Quantized activations: Q8_0 has 8 quant words a 32-element block, Q8_K
  // 64 a 256-element block, so a byte an element; a scale a 32 elements at most; a sum a 16.
  std::vector<std::pair<std::unique_ptr<Buffer>*, int64_t>> sizes;
  for (Act a : kActs) {
    sizes.push_back({&acts_[a], cap_n * act_width(c, a) * 4});
  }
  sizes.push_back({&quantized_.quants, cap_n * max_cols});
  sizes.push_back({&quantized_.scales, cap_n * (max_cols / 32) * 4});
  sizes.push_back({&quantized_.sums, cap_n * (max_cols / 16) * 4});
  sizes.push_back({&angles_, cap_n * c.rope_dim * 4});
  sizes.push_back({&positions_, cap_n * 4});
  sizes.push_back({&tables_, cap_n * blocks * 4});
  sizes.push_back({&scores_, cap_n * c.n_heads * positions * 4});
  const std::string what = "a step of " + std::to_string(n) + " tokens over " +
                           std::to_string(max_positions) + " positions";
  size_t need = 0;
  for (const auto& [buffer, bytes] : sizes) {
    check_buffer(static_cast<uint64_t>(bytes), what);
    need += static_cast<size_t>(bytes);
  }
  // Capacities only grow, so need >= step_bytes_: the step's buffers are replaced.
  check_fits(need - step_bytes_, what);
  // The old buffers go first, so the two never hold memory together. Until all the new ones are
  // made there are no step buffers and no recording (which names the old ones): an allocation
  // that fails leaves nothing a later step could use.
  recorded_.reset();
  used_bytes_ -= step_bytes_;
  step_bytes_ = 0;
  cap_n_ = cap_blocks_ = cap_positions_ = 0;
  host_in_.reset();
  for (const auto& [buffer, bytes] : sizes) {
    buffer->reset();
    *buffer = std::make_unique<Buffer>(ctx_, static_cast<size_t>(bytes), Buffer::Memory::device);
  }
  host_in_ = std::make_unique<Buffer>(ctx_, cap_n * (c.dim + c.rope_dim + blocks + 1) * 4,
                                      Buffer::Memory::upload);
  used_bytes_ += need;
  step_bytes_ = need;
  cap_n_ = cap_n;
  cap_blocks_ = blocks;
  cap_positions_ = positions;
}

void VulkanBackend::barrier() {
  VkMemoryBarrier mb{};
  mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask =
      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  const VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(cb_, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

template <typename Push>
void VulkanBackend::dispatch(const char* name, std::initializer_list<const Buffer*> buffers,
                             const Push& push, uint32_t groups_x, uint32_t groups_y) {
  pipelines_.at(name)->dispatch(cb_, std::span(buffers.begin(), buffers.size()), &push, groups_x,
                                groups_y);
  barrier();
}

template <typename Push>
void VulkanBackend::dispatch_elements(const char* name,
                                      std::initializer_list<const Buffer*> buffers,
                                      const Push& push, int64_t items, int64_t per_group) {
  const Grid g = spread(items, per_group, ctx_.info().max_groups_x);
  dispatch(name, buffers, push, g.x, g.y);
}

void VulkanBackend::begin(const StepInput& step) {
  const auto* kv = dynamic_cast<const VulkanKvStorage*>(step.cache.storage());
  if (kv == nullptr || &kv->context() != &ctx_) {
    throw std::invalid_argument("the KV cache's storage is not this Vulkan backend's");
  }
  const ModelConfig& c = config_;
  const auto n = static_cast<int64_t>(step.batch.size());
  int64_t max_blocks = 1, max_positions = 1;
  for (const BatchEntry& e : step.batch) {
    max_blocks = std::max<int64_t>(max_blocks, step.cache.block_table(e.seq).size());
    const int64_t first = c.sliding_window > 0 ? std::max(0, e.pos - c.sliding_window + 1) : 0;
    max_positions = std::max<int64_t>(max_positions, e.pos - first + 1);
  }
  // The tokens are a dimension of some dispatches' grids (rms_norm's x, attention's y).
  const uint32_t most = std::min(ctx_.info().max_groups_x, ctx_.info().max_groups_y);
  if (n > most) {
    throw VulkanError("a step of " + std::to_string(n) + " tokens is more than Vulkan device " +
                      std::to_string(ctx_.info().index) +
                      " runs at once (maxComputeWorkGroupCount " + std::to_string(most) + ")");
  }
  // Tables and positions grow by doubling, within the cache's size: a decoding sequence needs one
  // position more each step, and buffers kept through many steps keep their recording valid.
  const int64_t kv_positions = static_cast<int64_t>(kv->n_blocks()) * kv->block_size();
  const int64_t blocks =
      std::min<int64_t>(std::bit_ceil(static_cast<uint64_t>(max_blocks)), kv->n_blocks());
  int64_t scratch = std::min<int64_t>(
      std::bit_ceil(static_cast<uint64_t>(max_positions)),
      c.sliding_window > 0 ? std::min<int64_t>(kv_positions, c.sliding_window) : kv_positions);
  // Not where the doubled attention scratch would pass the largest buffer.
  if (static_cast<uint64_t>(std::max(n, cap_n_) * c.n_heads * scratch * 4) >
      max_buffer_bytes(ctx_.info())) {
    scratch = max_positions;
  }
  reserve_step(n, std::max(blocks, max_blocks), std::max(scratch, max_positions));
  n_ = n;
  kv_ = kv;
  quantized_of_.reset();
  shape_ = {n, kv->id(), {}};
  for (const BatchEntry& e : step.batch) shape_.want_logits.push_back(e.want_logits);
  replaying_ = recorded_ == shape_;

  // The host's inputs in one staging buffer: embeddings, angles, tables, positions.
  auto* in = static_cast<uint8_t*>(host_in_->mapped());
  const size_t emb_bytes = n * c.dim * 4, angle_bytes = n * c.rope_dim * 4;
  // Each token's table row is cap_blocks_ long, whatever the step's longest table.
  const int64_t stride = cap_blocks_;
  const size_t table_bytes = n * stride * 4, pos_bytes = n * 4;
  std::memcpy(in, step.embeddings, emb_bytes);
  std::memcpy(in + emb_bytes, step.angles, angle_bytes);
  auto* tables = reinterpret_cast<int32_t*>(in + emb_bytes + angle_bytes);
  auto* positions = reinterpret_cast<int32_t*>(in + emb_bytes + angle_bytes + table_bytes);
  for (int64_t t = 0; t < n; ++t) {
    const std::vector<int32_t>& table = step.cache.block_table(step.batch[t].seq);
    std::fill(tables + t * stride, tables + (t + 1) * stride, 0);
    std::copy(table.begin(), table.end(), tables + t * stride);
    positions[t] = step.batch[t].pos;
  }

  if (replaying_) {
    ++replayed_steps_;
    return;
  }
  // Nothing is in flight between steps: the recording's descriptor sets can go back.
  recorded_.reset();
  for (auto& [name, p] : pipelines_) p->release_sets();
  check(vkResetCommandBuffer(cb_, 0), "resetting the step's command buffer");
  VkCommandBufferBeginInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  check(vkBeginCommandBuffer(cb_, &bi), "beginning the step's command buffer");
  const VkBufferCopy copies[] = {{0, 0, emb_bytes},
                                 {emb_bytes, 0, angle_bytes},
                                 {emb_bytes + angle_bytes, 0, table_bytes},
                                 {emb_bytes + angle_bytes + table_bytes, 0, pos_bytes}};
  const Buffer* targets[] = {&rows(Act::x), angles_.get(), tables_.get(), positions_.get()};
  for (int i = 0; i < 4; ++i) {
    vkCmdCopyBuffer(cb_, host_in_->handle(), targets[i]->handle(), 1, &copies[i]);
  }
  barrier();
}

void VulkanBackend::record_rms_norm(const Buffer& in, int64_t n, const std::vector<float>& weight,
                                    const Buffer& out) {
  const struct {
    uint32_t n;
    float eps;
  } push{static_cast<uint32_t>(config_.dim), config_.rms_eps};
  dispatch("rms_norm", {&in, norms_.at(&weight).get(), &out}, push, static_cast<uint32_t>(n));
}

void VulkanBackend::rms_norm(Act in, const std::vector<float>& weight, Act out) {
  if (replaying_) return;
  record_rms_norm(rows(in), n_, weight, rows(out));
  wrote(out);
}

void VulkanBackend::record_matmul(const Matrix& m, Act in_act, const Buffer& in, int64_t n,
                                  const Buffer& out) {
  const auto tokens = static_cast<uint32_t>(n);
  const char* shader = matvec_shader(m.type);
  const GgmlType act_type = vec_dot_type(m.type);
  const bool floats = m.type == GgmlType::F32 || m.type == GgmlType::F16;
  const int64_t block = act_type == GgmlType::Q8_K ? 256 : 32;
  const Quantized& q = quantized_;
  if (!floats && quantized_of_ != std::pair{in_act, act_type}) {
    const uint32_t n_blocks = static_cast<uint32_t>(n * m.cols / block);
    if (act_type == GgmlType::Q8_K) {
      dispatch_elements("quantize_q8_k", {&in, q.quants.get(), q.scales.get(), q.sums.get()},
                        n_blocks, n_blocks, 64);
    } else {
      dispatch_elements("quantize_q8_0", {&in, q.quants.get(), q.scales.get()}, n_blocks, n_blocks,
                        64);
    }
    quantized_of_ = std::pair{in_act, act_type};
  }
  for (const Matrix::Part& p : m.parts) {
    // F32 and F16 take elements per row, the others blocks.
    const MatvecShape shape{static_cast<uint32_t>(floats ? m.cols : m.cols / block),
                            static_cast<uint32_t>(m.rows), static_cast<uint32_t>(p.row0), tokens,
                            static_cast<uint32_t>(p.rows)};
    const Grid g = matvec_grid(shape);
    if (floats) {
      dispatch(shader, {p.quants.get(), &in, &out}, shape, g.x, g.y);
    } else if (act_type == GgmlType::Q8_K) {
      dispatch(shader,
               {p.quants.get(), p.scales.get(), q.quants.get(), q.scales.get(), q.sums.get(), &out},
               shape, g.x, g.y);
    } else {
      dispatch(shader, {p.quants.get(), p.scales.get(), q.quants.get(), q.scales.get(), &out},
               shape, g.x, g.y);
    }
  }
}

void VulkanBackend::matmul(const WeightMatrix& w, Act in, Act out) {
  if (replaying_) return;
  record_matmul(matrices_.at(&w), in, rows(in), n_, rows(out));
  wrote(out);
}

void VulkanBackend::rope_and_store_kv(int32_t layer) {
  if (replaying_) return;
  const ModelConfig& c = config_;
  for (auto [a, heads] : {std::pair{Act::q, c.n_heads}, {Act::k, c.n_kv_heads}}) {
    const uint32_t push[4] = {static_cast<uint32_t>(n_), static_cast<uint32_t>(heads),
                              static_cast<uint32_t>(c.head_dim), static_cast<uint32_t>(c.rope_dim)};
    dispatch_elements("rope", {&rows(a), angles_.get()}, push, n_ * heads * c.rope_dim / 2, 64);
    wrote(a);
  }
  const uint32_t push[6] = {0,
                            static_cast<uint32_t>(kv_->n_blocks()),
                            static_cast<uint32_t>(kv_->block_size()),
                            static_cast<uint32_t>(c.kv_dim()),
                            static_cast<uint32_t>(cap_blocks_),
                            static_cast<uint32_t>(n_)};
  dispatch_elements("kv_store",
                    {&rows(Act::k), &rows(Act::v), &kv_->keys(layer), &kv_->values(layer),
                     tables_.get(), positions_.get()},
                    push, n_ * c.kv_dim() / 2, 64);
}

void VulkanBackend::attention(int32_t layer) {
  if (replaying_) return;
  const ModelConfig& c = config_;
  const uint32_t push[10] = {0,
                             static_cast<uint32_t>(kv_->n_blocks()),
                             static_cast<uint32_t>(kv_->block_size()),
                             static_cast<uint32_t>(c.kv_dim()),
                             static_cast<uint32_t>(c.head_dim),
                             static_cast<uint32_t>(c.n_heads),
                             static_cast<uint32_t>(c.n_kv_heads),
                             static_cast<uint32_t>(cap_blocks_),
                             static_cast<uint32_t>(cap_positions_),
                             static_cast<uint32_t>(std::max(0, c.sliding_window))};
  dispatch("attention",
           {&rows(Act::q), &kv_->keys(layer), &kv_->values(layer), tables_.get(), positions_.get(),
            scores_.get(), &rows(Act::attn)},
           push, static_cast<uint32_t>(c.n_heads), static_cast<uint32_t>(n_));
  wrote(Act::attn);
}

void VulkanBackend::silu_mul() {
  if (replaying_) return;
  const uint32_t n = static_cast<uint32_t>(n_ * config_.ff_dim);
  dispatch_elements("silu_mul", {&rows(Act::gate), &rows(Act::up)}, n, n, 256);
  wrote(Act::gate);
}

void VulkanBackend::add_to_x(Act from) {
  if (replaying_) return;
  const uint32_t n = static_cast<uint32_t>(n_ * config_.dim);
  dispatch_elements("add", {&rows(Act::x), &rows(from)}, n, n, 256);
  wrote(Act::x);
}

std::vector<float> VulkanBackend::logits(const std::vector<float>& norm, const WeightMatrix& output,
                                         std::span<const int64_t> rows) {
  const auto n_rows = static_cast<int64_t>(rows.size());
  const Matrix& m = matrices_.at(&output);
  std::vector<float> out(n_rows * m.rows);
  if (replaying_) {
    ctx_.run(cb_);
    if (n_rows > 0) std::memcpy(out.data(), host_logits_->mapped(), out.size() * 4);
    return out;
  }
  if (n_rows > cap_logit_rows_) {
    const auto device_bytes = [&](int64_t n) {
      return static_cast<size_t>(n) * (config_.dim + m.rows) * 4;
    };
    check_fits(device_bytes(n_rows) - device_bytes(cap_logit_rows_),
               std::to_string(n_rows) + " rows of logits");
    // As in reserve_step: no buffers counted until the new ones are all made.
    used_bytes_ -= device_bytes(cap_logit_rows_);
    cap_logit_rows_ = 0;
    gathered_.reset();
    logits_.reset();
    host_logits_.reset();
    gathered_ = std::make_unique<Buffer>(ctx_, n_rows * config_.dim * 4, Buffer::Memory::device);
    logits_ = std::make_unique<Buffer>(ctx_, out.size() * 4, Buffer::Memory::device);
    host_logits_ = std::make_unique<Buffer>(ctx_, out.size() * 4, Buffer::Memory::readback);
    used_bytes_ += device_bytes(n_rows);
    cap_logit_rows_ = n_rows;
  }
  if (n_rows > 0) {
    const size_t row_bytes = config_.dim * 4;
    std::vector<VkBufferCopy> gather;
    for (int64_t i = 0; i < n_rows; ++i)
      gather.push_back({rows[i] * row_bytes, i * row_bytes, row_bytes});
    vkCmdCopyBuffer(cb_, this->rows(Act::x).handle(), gathered_->handle(),
                    static_cast<uint32_t>(gather.size()), gather.data());
    barrier();
    const Buffer& normed = this->rows(Act::xb);
    record_rms_norm(*gathered_, n_rows, norm, normed);
    quantized_of_.reset();
    record_matmul(m, Act::xb, normed, n_rows, *logits_);
    const VkBufferCopy back{0, 0, out.size() * 4};
    vkCmdCopyBuffer(cb_, logits_->handle(), host_logits_->handle(), 1, &back);
    transfers_to_host(cb_);
  }
  check(vkEndCommandBuffer(cb_), "ending the step's command buffer");
  recorded_ = shape_;
  ctx_.run(cb_);
  if (n_rows > 0) std::memcpy(out.data(), host_logits_->mapped(), out.size() * 4);
  return out;
}

}  // namespace engine::vulkan
