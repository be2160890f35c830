// The model's tensors, found by llama.cpp's GGUF names and checked against the config's shapes.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/huge_page_buffer.h"
#include "cpu/thread_pool.h"
#include "model/model_config.h"
#include "tensor/ggml_type.h"

namespace engine {

class GgufFile;

// A 2-D weight matrix, in place in the mapped file or in ModelWeights::memory: `rows` rows of
// `cols` elements, row by row, or rearranged into groups of kGroupRows rows (interleaved_rows.h)
// where group_stride is set.
struct WeightMatrix {
  std::string name;
  GgmlType type = GgmlType::F32;
  int64_t cols = 0;
  int64_t rows = 0;
  size_t row_stride = 0;  // bytes of a row in the file's layout
  const uint8_t* data = nullptr;
  size_t group_stride = 0;  // bytes of a group of rows when rearranged, else 0
  // Row r in the file's layout. A grouped matrix has no such rows: std::logic_error.
  const uint8_t* row(int64_t r) const {
    if (group_stride != 0) throw std::logic_error(name + " is grouped: its rows are interleaved");
    return data + static_cast<size_t>(r) * row_stride;
  }
};

struct LayerWeights {
  std::vector<float> attn_norm;
  WeightMatrix wq, wk, wv, wo;
  std::vector<float> ffn_norm;
  WeightMatrix w_gate, w_up, w_down;
};

struct ModelWeights {
  WeightMatrix token_embd;
  std::vector<float> output_norm;
  WeightMatrix output;  // token_embd when the file ties them
  std::vector<LayerWeights> layers;
  std::unique_ptr<HugePageBuffer> memory;  // the matrices' bytes after load_into_memory()

  // Copies every matrix that is multiplied by (not the embeddings, read a row per token) out of
  // the file mapping into `memory` and points the matrices there, rearranged into groups of rows
  // where this CPU has a group kernel for the type.
  void load_into_memory(ThreadPool& pool);

  // Throws std::runtime_error naming the tensor and what is wrong with it.
  static ModelWeights from_gguf(const GgufFile& file, const ModelConfig& config);
};

}  // namespace engine
