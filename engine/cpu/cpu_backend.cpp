#include "cpu/cpu_backend.h"

#include <algorithm>
#include <stdexcept>

#include "tensor/f16_vec.h"
#include "tensor/quants.h"
#include "tensor/silu_mul.h"

namespace engine {

CpuBackend::CpuBackend(const ModelConfig& config, ModelWeights& weights, int n_threads)
    : config_(config), pool_(n_threads) {
  weights.load_into_memory(pool_);
}

std::string CpuBackend::describe() const {
  return "cpu (" + std::to_string(pool_.size()) + " threads, " + simd_level() + ")";
}

std::unique_ptr<KvStorage> CpuBackend::new_kv_storage(int32_t n_blocks, int32_t block_size) {
  return std::make_unique<CpuKvStorage>(config_, n_blocks, block_size);
}

std::vector<float>& CpuBackend::rows(Act a) {
  switch (a) {
    case Act::x:
      return x_;
    case Act::xb:
      return xb_;
    case Act::q:
      return q_;
    case Act::k:
      return k_;
    case Act::v:
      return v_;
    case Act::attn:
      return attn_;
    case Act::gate:
      return gate_;
    case Act::up:
      return up_;
  }
  throw std::logic_error("unknown activation");
}

void CpuBackend::wrote(Act a) {
  if (input_of_ == a) input_of_.reset();
}

void CpuBackend::begin(const StepInput& step) {
  auto* kv = dynamic_cast<CpuKvStorage*>(step.cache.storage());
  if (kv == nullptr) throw std::invalid_argument("the KV cache's storage is not the CPU backend's");
  batch_ = step.batch;
  cache_ = &step.cache;
  kv_ = kv;
  angles_ = step.angles;
  const auto n = static_cast<int64_t>(batch_.size());
  for (Act a : kActs) {
    rows(a).resize(n * act_width(config_, a));
  }
  std::copy(step.embeddings, step.embeddings + n * config_.dim, x_.begin());
  input_of_.reset();
}

void CpuBackend::norm_rows(const float* x, const std::vector<float>& weight, float* out,
                           int64_t n) {
  const int64_t dim = config_.dim;
  pool_.parallel_for(n, [&](int64_t begin, int64_t end) {
    engine::rms_norm(x + begin * dim, weight.data(), out + begin * dim, end - begin, dim,
                     config_.rms_eps);
  });
}

void CpuBackend::rms_norm(Act in, const std::vector<float>& weight, Act out) {
  norm_rows(rows(in).data(), weight, rows(out).data(), static_cast<int64_t>(batch_.size()));
  wrote(out);
}

void CpuBackend::matmul(const WeightMatrix& w, Act in, Act out) {
  if (input_of_ != in) {
    input_.set(rows(in).data(), static_cast<int64_t>(batch_.size()), w.cols);
    input_of_ = in;
  }
  engine::matmul(pool_, w, input_, rows(out).data());
  wrote(out);
}

void CpuBackend::rope_and_store_kv(int32_t layer) {
  const ModelConfig& c = config_;
  pool_.parallel_for(static_cast<int64_t>(batch_.size()), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const BatchEntry& e = batch_[t];
      const float* angles = angles_ + t * c.rope_dim;
      rope(&q_[t * c.q_dim()], c.n_heads, c.head_dim, c.rope_dim, angles);
      rope(&k_[t * c.kv_dim()], c.n_kv_heads, c.head_dim, c.rope_dim, angles);
      const std::vector<int32_t>& table = cache_->block_table(e.seq);
      const int32_t bs = kv_->block_size();
      const int32_t block = table[e.pos / bs], slot = e.pos % bs;
      for (int32_t h = 0; h < c.n_kv_heads; ++h) {
        const size_t at = static_cast<size_t>(t) * c.kv_dim() + static_cast<size_t>(h) * c.head_dim;
        to_f16(&k_[at], kv_->key(layer, block, slot, h), c.head_dim);
        to_f16(&v_[at], kv_->value(layer, block, slot, h), c.head_dim);
      }
    }
  });
  wrote(Act::q);
  wrote(Act::k);
}

void CpuBackend::attention(int32_t layer) {
  const ModelConfig& c = config_;
  // One task per (entry, KV head) with the query heads that share it: a decode step's single
  // entry still spreads over every thread.
  const int32_t group = c.n_heads / c.n_kv_heads;
  pool_.parallel_for(
      static_cast<int64_t>(batch_.size()) * c.n_kv_heads, [&](int64_t begin, int64_t end) {
        AttentionScratch scratch;
        for (int64_t i = begin; i < end; ++i) {
          const int64_t t = i / c.n_kv_heads;
          const auto kv_head = static_cast<int32_t>(i % c.n_kv_heads);
          const BatchEntry& e = batch_[t];
          const size_t at = static_cast<size_t>(t) * c.q_dim() +
                            static_cast<size_t>(kv_head) * group * c.head_dim;
          engine::attention(*kv_, cache_->block_table(e.seq), layer, e.pos, c.sliding_window,
                            &q_[at], group, kv_head, c.head_dim, &attn_[at], scratch);
        }
      });
  wrote(Act::attn);
}

void CpuBackend::silu_mul() {
  pool_.parallel_for(static_cast<int64_t>(batch_.size()) * config_.ff_dim,
                     [&](int64_t begin, int64_t end) {
                       engine::silu_mul(&gate_[begin], &up_[begin], end - begin);
                     });
  wrote(Act::gate);
}

void CpuBackend::add_to_x(Act from) {
  const std::vector<float>& y = rows(from);
  const int64_t n = static_cast<int64_t>(batch_.size()) * config_.dim;
  for (int64_t i = 0; i < n; ++i) x_[i] += y[i];
  wrote(Act::x);
}

std::vector<float> CpuBackend::logits(const std::vector<float>& norm, const WeightMatrix& output,
                                      std::span<const int64_t> rows) {
  const int64_t dim = config_.dim;
  std::vector<float> normed(rows.size() * dim);
  for (size_t i = 0; i < rows.size(); ++i) norm_rows(&x_[rows[i] * dim], norm, &normed[i * dim], 1);
  std::vector<float> out(rows.size() * output.rows);
  input_.set(normed.data(), static_cast<int64_t>(rows.size()), dim);
  input_of_.reset();
  engine::matmul(pool_, output, input_, out.data());
  return out;
}

}  // namespace engine
