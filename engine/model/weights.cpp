#include "model/weights.h"

#include <cstring>
#include <stdexcept>

#include "gguf/gguf_file.h"
#include "tensor/interleaved_rows.h"
#include "tensor/quants.h"

namespace engine {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const GgufTensorInfo& find_tensor(const GgufFile& f, const std::string& name,
                                  const std::vector<int64_t>& shape) {
  const GgufTensorInfo* t = f.tensor(name);
  if (!t) throw std::runtime_error(f.name() + ": tensor '" + name + "' is missing");
  if (t->shape != shape) {
    throw std::runtime_error(f.name() + ": tensor '" + name + "' has shape " +
                             shape_string(t->shape) + " but the model's metadata needs " +
                             shape_string(shape));
  }
  if (!type_info(t->type).supported) {
    throw std::runtime_error(f.name() + ": tensor '" + name + "' has type " +
                             std::string(type_info(t->type).name) +
                             ", which this engine does not support");
  }
  return *t;
}

WeightMatrix matrix(const GgufFile& f, const std::string& name, int64_t cols, int64_t rows) {
  const GgufTensorInfo& t = find_tensor(f, name, {cols, rows});
  return {name, t.type, cols, rows, row_bytes(t.type, cols), t.data};
}

std::vector<float> vector(const GgufFile& f, const std::string& name, int64_t n) {
  const GgufTensorInfo& t = find_tensor(f, name, {n});
  std::vector<float> out(n);
  dequantize_row(t.type, t.data, out.data(), n);
  return out;
}

}  // namespace

ModelWeights ModelWeights::from_gguf(const GgufFile& f, const ModelConfig& c) {
  ModelWeights w;
  w.token_embd = matrix(f, "token_embd.weight", c.dim, c.n_vocab);
  w.output_norm = vector(f, "output_norm.weight", c.dim);
  w.output =
      f.tensor("output.weight") ? matrix(f, "output.weight", c.dim, c.n_vocab) : w.token_embd;
  for (int32_t l = 0; l < c.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights L;
    L.attn_norm = vector(f, p + "attn_norm.weight", c.dim);
    L.wq = matrix(f, p + "attn_q.weight", c.dim, c.q_dim());
    L.wk = matrix(f, p + "attn_k.weight", c.dim, c.kv_dim());
    L.wv = matrix(f, p + "attn_v.weight", c.dim, c.kv_dim());
    L.wo = matrix(f, p + "attn_output.weight", c.q_dim(), c.dim);
    L.ffn_norm = vector(f, p + "ffn_norm.weight", c.dim);
    L.w_gate = matrix(f, p + "ffn_gate.weight", c.dim, c.ff_dim);
    L.w_up = matrix(f, p + "ffn_up.weight", c.dim, c.ff_dim);
    L.w_down = matrix(f, p + "ffn_down.weight", c.ff_dim, c.dim);
    w.layers.push_back(std::move(L));
  }
  return w;
}

void ModelWeights::load_into_memory(ThreadPool& pool) {
  std::vector<WeightMatrix*> matrices = {&output};
  for (LayerWeights& L : layers) {
    for (WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      matrices.push_back(m);
    }
  }
  for (WeightMatrix* m : matrices) {
    if (group_kernel(m->type) != nullptr && m->rows % kGroupRows == 0) {
      m->group_stride = group_bytes(m->type, m->cols);
    }
  }
  constexpr size_t kAlign = 64;  // each matrix starts on a cache line
  auto padded = [](const WeightMatrix& m) {
    const size_t bytes = m.group_stride ? m.group_stride * static_cast<size_t>(m.rows / kGroupRows)
                                        : m.row_stride * static_cast<size_t>(m.rows);
    return (bytes + kAlign - 1) & ~(kAlign - 1);
  };
  size_t total = 0;
  for (const WeightMatrix* m : matrices) total += padded(*m);
  memory = std::make_unique<HugePageBuffer>(total, "the weights");
  uint8_t* at = memory->data();
  for (WeightMatrix* m : matrices) {
    const WeightMatrix& src = *m;
    // Row r as the file has it (src.row() refuses once group_stride is set).
    const auto file_row = [&](int64_t r) {
      return src.data + static_cast<size_t>(r) * src.row_stride;
    };
    if (src.group_stride) {
      pool.parallel_for(src.rows / kGroupRows, [&](int64_t begin, int64_t end) {
        for (int64_t g = begin; g < end; ++g) {
          interleave_rows(src.type, file_row(g * kGroupRows), src.row_stride, src.cols,
                          at + static_cast<size_t>(g) * src.group_stride);
        }
      });
    } else {
      pool.parallel_for(src.rows, [&](int64_t begin, int64_t end) {
        std::memcpy(at + static_cast<size_t>(begin) * src.row_stride, file_row(begin),
                    static_cast<size_t>(end - begin) * src.row_stride);
      });
    }
    m->data = at;
    at += padded(*m);
  }
}

}  // namespace engine
