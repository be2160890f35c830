// The CPU operations of the forward pass. Each output value is computed the same way whatever else
// is in the batch, so a sequence's results never depend on its batch-mates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cpu/cpu_kv_storage.h"
#include "cpu/thread_pool.h"
#include "model/weights.h"

namespace engine {

// out = x / sqrt(mean(x^2) + eps) * weight, for `n_tokens` rows of length n.
void rms_norm(const float* x, const float* weight, float* out, int64_t n_tokens, int64_t n,
              float eps);

// cos and sin of pos * theta^(-2i/rope_dim) at cos_sin[2i] and cos_sin[2i + 1], i < rope_dim / 2:
// what rope rotates a position by (llama.cpp's "normal" RoPE, which matches the Q/K permutation
// of its GGUF converter). They depend only on the position, so a forward pass computes them once
// per token for every layer, queries and keys alike; the Vulkan shader takes them too.
void rope_angles(int32_t rope_dim, int32_t pos, float theta, float* cos_sin);

// Rotates pairs (2i, 2i+1) of the first rope_dim elements of each head by rope_angles' cos_sin.
void rope(float* x, int32_t n_heads, int32_t head_dim, int32_t rope_dim, const float* cos_sin);

// A batch of activation rows as the matrix kernels read them: converted to a weight type's
// vec_dot_type on first use, as ggml does, and kept for the next matrix that multiplies the same
// input (Q, K and V share one, as do the FFN's gate and up).
class MatmulInput {
 public:
  // Rows t * cols .. of x for t < n_tokens; x must stay valid and unchanged while in use.
  void set(const float* x, int64_t n_tokens, int64_t cols);

  int64_t n_tokens() const { return n_tokens_; }
  int64_t cols() const { return cols_; }

  // The rows in `type`, converting them on the first call after set().
  const uint8_t* rows(ThreadPool& pool, GgmlType type);

 private:
  struct Converted {
    GgmlType type;
    bool current = false;
    std::vector<uint8_t> bytes;
  };
  const float* x_ = nullptr;
  int64_t n_tokens_ = 0;
  int64_t cols_ = 0;
  std::vector<Converted> converted_;
};

// The chunk, in units of rows (groups of rows for grouped matrices), that matmul hands a thread
// at a time for `units` units of unit_bytes each by n_tokens tokens over `threads` threads.
int64_t matmul_chunk(int64_t units, size_t unit_bytes, bool grouped, int64_t n_tokens,
                     int64_t threads);

// out[t * w.rows + r] = dot(w.row(r), input row t).
void matmul(ThreadPool& pool, const WeightMatrix& w, MatmulInput& input, float* out);

// Buffers attention() reuses from call to call: the scores and F16 query, and the cached rows.
struct AttentionScratch {
  std::vector<float> floats;
  std::vector<const uint16_t*> keys, values;
};

// The attention of the n_q query heads that share KV head `kv_head` in `layer` over the keys and
// values of the sequence whose block table is `table`, for the positions max(0, pos - window + 1)
// .. pos (window 0 = all). q and out: n_q heads of head_dim floats each. Each cached key and value
// is converted once for all n_q heads; every head's result is what it would be alone. The query is
// rounded to F16, as llama.cpp does before multiplying it with its F16 cache, and so are the
// softmax weights before they multiply the values.
void attention(const CpuKvStorage& kv, std::span<const int32_t> table, int32_t layer, int32_t pos,
               int32_t window, const float* q, int32_t n_q, int32_t kv_head, int32_t head_dim,
               float* out, AttentionScratch& scratch);

}  // namespace engine
