// Anonymous memory for what the forward pass streams (the weights, the KV cache), backed by
// transparent huge pages where the kernel allows, and zero until written. Weights read in place
// from the mapped file sit in 4 KiB page-cache pages: the hardware prefetchers stop at every page
// boundary and every page costs a TLB miss, which measured 1.8x slower decoding of a 7B model
// than the same bytes on 2 MiB pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace engine {

class HugePageBuffer {
 public:
  // Throws std::runtime_error, naming `what` the memory is for, when it cannot be had.
  HugePageBuffer(size_t bytes, const std::string& what);
  ~HugePageBuffer();
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace engine
