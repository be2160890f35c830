// GGUF v3 writer. Tensor data is produced one tensor at a time, so files larger than memory can be
// written; the file appears under its final name only when complete.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf_value.h"
#include "tensor/ggml_type.h"

namespace engine {

class GgufWriter {
 public:
  explicit GgufWriter(uint64_t alignment = 32) : alignment_(alignment) {}

  void add_metadata(std::string key, GgufValue value);
  // shape in ggml order (shape[0] = row length).
  void add_tensor(std::string name, std::vector<int64_t> shape, GgmlType type);

  // Fills tensor `index`'s bytes (already sized) in the order tensors were added.
  using TensorFiller = std::function<void(size_t index, std::span<uint8_t> out)>;
  // Writes to `path`.tmp, then renames; throws std::runtime_error on I/O failure.
  void write(const std::string& path, const TensorFiller& fill) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    GgmlType type;
    size_t n_bytes;
  };
  uint64_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace engine
