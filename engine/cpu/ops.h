// The CPU operations of the forward pass. Each output value is computed the same way whatever else
// is in the batch, so a sequence's results never depend on its batch-mates.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/thread_pool.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace engine {

// out = x / sqrt(mean(x^2) + eps) * weight, for `n_tokens` rows of length n.
void rms_norm(const float* x, const float* weight, float* out, int64_t n_tokens, int64_t n,
              float eps);

// Rotates pairs (2i, 2i+1) of the first rope_dim elements of each head by pos * theta^(-2i/rope_dim)
// (llama.cpp's "normal" RoPE, which matches the Q/K permutation of its GGUF converter).
void rope(float* x, int32_t n_heads, int32_t head_dim, int32_t rope_dim, int32_t pos, float theta);

// out[t * w.rows + r] = dot(w.row(r), x[t * w.cols ...]). Activations are first converted to the
// weight type's vec_dot_type, as ggml does; `scratch` holds them.
void matmul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* out,
            std::vector<uint8_t>& scratch);

// gate[i] = silu(gate[i]) * up[i].
void silu_mul(float* gate, const float* up, int64_t n);

// One query token's attention over its sequence's cached keys and values in `layer`, for the
// positions max(0, pos - window + 1) .. pos (window 0 = all). q: n_heads * head_dim; out likewise.
void attention(const KvCache& cache, int32_t layer, SeqId seq, int32_t pos, int32_t window,
               const float* q, int32_t n_heads, int32_t n_kv_heads, int32_t head_dim, float* out,
               std::vector<float>& scores);

}  // namespace engine
