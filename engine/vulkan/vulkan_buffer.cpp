#include "vulkan/vulkan_buffer.h"

#include <cstring>
#include <string>
#include <utility>

namespace engine::vulkan {

Buffer::Buffer(Context& ctx, size_t bytes, Memory memory) : device_(ctx.device()), size_(bytes) {
  VkBufferCreateInfo bci{};
  bci.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bci.size = bytes;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
              VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(vkCreateBuffer(device_, &bci, nullptr, &buffer_), "creating a buffer");
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(device_, buffer_, &req);
  const VkMemoryPropertyFlags flags =
      memory == Memory::device
          ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
          : VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const VkMemoryPropertyFlags preferred =
      memory == Memory::readback ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0;
  VkMemoryAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  ai.allocationSize = req.size;
  VkResult r = VK_SUCCESS;
  try {
    ai.memoryTypeIndex = ctx.memory_type(req.memoryTypeBits, flags, preferred);
    r = vkAllocateMemory(device_, &ai, nullptr, &memory_);
    if (r == VK_SUCCESS) r = vkBindBufferMemory(device_, buffer_, memory_, 0);
    if (r == VK_SUCCESS && memory != Memory::device) {
      r = vkMapMemory(device_, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_);
    }
    check(r, ("allocating " + std::to_string(bytes) + " bytes of " +
              (memory == Memory::device ? "device" : "host-visible") + " memory")
                 .c_str());
  } catch (...) {
    if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device_, memory_, nullptr);
    vkDestroyBuffer(device_, buffer_, nullptr);
    throw;
  }
}

Buffer::Buffer(Buffer&& o) noexcept
    : device_(o.device_),
      buffer_(std::exchange(o.buffer_, VK_NULL_HANDLE)),
      memory_(std::exchange(o.memory_, VK_NULL_HANDLE)),
      mapped_(std::exchange(o.mapped_, nullptr)),
      size_(std::exchange(o.size_, 0)) {}

Buffer::~Buffer() {
  if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device_, memory_, nullptr);
}

void transfers_to_host(VkCommandBuffer cb) {
  VkMemoryBarrier mb{};
  mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0,
                       nullptr, 0, nullptr);
}

void upload(Context& ctx, const Buffer& dst, size_t offset, const void* src, size_t bytes) {
  Buffer staging(ctx, bytes, Buffer::Memory::upload);
  std::memcpy(staging.mapped(), src, bytes);
  ctx.run_now([&](VkCommandBuffer cb) {
    const VkBufferCopy region{0, offset, bytes};
    vkCmdCopyBuffer(cb, staging.handle(), dst.handle(), 1, &region);
  });
}

void download(Context& ctx, const Buffer& src, size_t offset, void* dst, size_t bytes) {
  Buffer staging(ctx, bytes, Buffer::Memory::readback);
  ctx.run_now([&](VkCommandBuffer cb) {
    const VkBufferCopy region{offset, 0, bytes};
    vkCmdCopyBuffer(cb, src.handle(), staging.handle(), 1, &region);
    transfers_to_host(cb);
  });
  std::memcpy(dst, staging.mapped(), bytes);
}

}  // namespace engine::vulkan
