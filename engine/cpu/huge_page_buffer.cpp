#include "cpu/huge_page_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace engine {

HugePageBuffer::HugePageBuffer(size_t bytes, const std::string& what) : size_(bytes) {
  if (bytes == 0) return;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw std::runtime_error("cannot allocate " + std::to_string(bytes >> 20) + " MiB for " + what +
                             ": " + std::strerror(errno));
  }
  // Advice only: where transparent huge pages are off the buffer still works on small pages.
  ::madvise(p, bytes, MADV_HUGEPAGE);
  data_ = static_cast<uint8_t*>(p);
}

HugePageBuffer::~HugePageBuffer() {
  if (data_) ::munmap(data_, size_);
}

}  // namespace engine
