// A compute shader ready to dispatch: its SPIR-V (embedded at build time, see shaders.h), a
// descriptor layout of n_buffers storage buffers at bindings 0..n_buffers-1, and push constants.
#pragma once

#include <cstdint>
#include <span>

#include "vulkan/vulkan_buffer.h"
#include "vulkan/vulkan_context.h"

namespace engine::vulkan {

class ComputePipeline {
 public:
  ComputePipeline(Context& ctx, std::span<const uint32_t> spirv, uint32_t n_buffers,
                  uint32_t push_constant_bytes);
  ~ComputePipeline();
  ComputePipeline(const ComputePipeline&) = delete;
  ComputePipeline& operator=(const ComputePipeline&) = delete;

  // Records a dispatch of groups_x * groups_y * groups_z workgroups with `buffers` at bindings
  // 0.. and `push` (push_constant_bytes of it). Each call takes a descriptor set from the
  // pipeline's pool; release_sets() returns them once the commands have run. A buffer larger
  // than one binding may cover (the device's maxStorageBufferRange) is a VulkanError naming both
  // sizes: such tensors must be split over several bindings.
  void dispatch(VkCommandBuffer cb, std::span<const Buffer* const> buffers, const void* push,
                uint32_t groups_x, uint32_t groups_y = 1, uint32_t groups_z = 1);
  void release_sets();

 private:
  void release();

  VkDevice device_;
  uint32_t n_buffers_;
  uint32_t push_bytes_;
  uint64_t max_binding_bytes_;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
};

}  // namespace engine::vulkan
