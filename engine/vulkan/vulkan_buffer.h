// Storage buffers on a Vulkan device: device-local ones for weights and activations, and
// host-visible ones that stage copies between host memory and them: uploads in whatever memory the
// host writes through (often uncached), readbacks in memory the host caches where the device has
// it, since reading uncached memory is slow.
#pragma once

#include <cstddef>

#include "vulkan/vulkan_context.h"

namespace engine::vulkan {

class Buffer {
 public:
  enum class Memory { device, upload, readback };

  // Throws VulkanError when the device cannot allocate it (the message names the size).
  Buffer(Context& ctx, size_t bytes, Memory memory);
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&&) = delete;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  size_t size() const { return size_; }
  // Upload and readback buffers only: the mapped bytes.
  void* mapped() const { return mapped_; }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  void* mapped_ = nullptr;
  size_t size_ = 0;
};

// Makes the transfers recorded before it in cb visible to the host once cb's fence has signalled
// (a fence alone covers the device's accesses only).
void transfers_to_host(VkCommandBuffer cb);

// Copies `bytes` from host memory into dst at `offset`, or out of src, through a staging buffer.
void upload(Context& ctx, const Buffer& dst, size_t offset, const void* src, size_t bytes);
void download(Context& ctx, const Buffer& src, size_t offset, void* dst, size_t bytes);

}  // namespace engine::vulkan
