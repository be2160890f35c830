#include "vulkan/compute_pipeline.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace engine::vulkan {
namespace {

// Descriptor sets one pool holds: enough for one forward pass's dispatches of a pipeline.
constexpr uint32_t kSetsPerPool = 1024;

}  // namespace

ComputePipeline::ComputePipeline(Context& ctx, std::span<const uint32_t> spirv, uint32_t n_buffers,
                                 uint32_t push_constant_bytes)
    : device_(ctx.device()),
      n_buffers_(n_buffers),
      push_bytes_(push_constant_bytes),
      max_binding_bytes_(ctx.info().max_storage_buffer_range) {
  try {
    VkShaderModuleCreateInfo mci{};
    mci.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    mci.codeSize = spirv.size_bytes();
    mci.pCode = spirv.data();
    check(vkCreateShaderModule(device_, &mci, nullptr, &module_), "creating a shader module");

    std::vector<VkDescriptorSetLayoutBinding> bindings(n_buffers);
    for (uint32_t i = 0; i < n_buffers; ++i) {
      bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    }
    VkDescriptorSetLayoutCreateInfo lci{};
    lci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    lci.bindingCount = n_buffers;
    lci.pBindings = bindings.data();
    check(vkCreateDescriptorSetLayout(device_, &lci, nullptr, &set_layout_),
          "creating a descriptor set layout");

    const VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_constant_bytes};
    VkPipelineLayoutCreateInfo plci{};
    plci.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    plci.setLayoutCount = 1;
    plci.pSetLayouts = &set_layout_;
    plci.pushConstantRangeCount = push_constant_bytes > 0 ? 1 : 0;
    plci.pPushConstantRanges = &range;
    check(vkCreatePipelineLayout(device_, &plci, nullptr, &layout_), "creating a pipeline layout");

    VkComputePipelineCreateInfo cci{};
    cci.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    cci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    cci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    cci.stage.module = module_;
    cci.stage.pName = "main";
    cci.layout = layout_;
    check(vkCreateComputePipelines(device_, VK_NULL_HANDLE, 1, &cci, nullptr, &pipeline_),
          "creating a compute pipeline");

    const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * n_buffers};
    VkDescriptorPoolCreateInfo dpci{};
    dpci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
    dpci.maxSets = kSetsPerPool;
    dpci.poolSizeCount = 1;
    dpci.pPoolSizes = &size;
    check(vkCreateDescriptorPool(device_, &dpci, nullptr, &pool_), "creating a descriptor pool");
  } catch (...) {
    release();
    throw;
  }
}

ComputePipeline::~ComputePipeline() { release(); }

void ComputePipeline::release() {
  if (pool_ != VK_NULL_HANDLE) vkDestroyDescriptorPool(device_, pool_, nullptr);
  if (pipeline_ != VK_NULL_HANDLE) vkDestroyPipeline(device_, pipeline_, nullptr);
  if (layout_ != VK_NULL_HANDLE) vkDestroyPipelineLayout(device_, layout_, nullptr);
  if (set_layout_ != VK_NULL_HANDLE) vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
  if (module_ != VK_NULL_HANDLE) vkDestroyShaderModule(device_, module_, nullptr);
  pool_ = VK_NULL_HANDLE;
  pipeline_ = VK_NULL_HANDLE;
  layout_ = VK_NULL_HANDLE;
  set_layout_ = VK_NULL_HANDLE;
  module_ = VK_NULL_HANDLE;
}

void ComputePipeline::dispatch(VkCommandBuffer cb, std::span<const Buffer* const> buffers,
                               const void* push, uint32_t groups_x, uint32_t groups_y,
                               uint32_t groups_z) {
  if (buffers.size() != n_buffers_) {
    throw std::invalid_argument("compute pipeline takes " + std::to_string(n_buffers_) +
                                " buffers, got " + std::to_string(buffers.size()));
  }
  for (uint32_t i = 0; i < n_buffers_; ++i) {
    if (buffers[i]->size() > max_binding_bytes_) {
      throw VulkanError("binding " + std::to_string(i) + " is a buffer of " +
                        std::to_string(buffers[i]->size()) + " bytes; this device binds at most " +
                        std::to_string(max_binding_bytes_) + " bytes (maxStorageBufferRange)");
    }
  }
  VkDescriptorSetAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
  ai.descriptorPool = pool_;
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &set_layout_;
  VkDescriptorSet set = VK_NULL_HANDLE;
  check(vkAllocateDescriptorSets(device_, &ai, &set), "allocating a descriptor set");
  std::vector<VkDescriptorBufferInfo> infos(n_buffers_);
  std::vector<VkWriteDescriptorSet> writes(n_buffers_);
  for (uint32_t i = 0; i < n_buffers_; ++i) {
    infos[i] = {buffers[i]->handle(), 0, VK_WHOLE_SIZE};
    writes[i] = {};
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device_, n_buffers_, writes.data(), 0, nullptr);
  vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
  vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout_, 0, 1, &set, 0, nullptr);
  if (push_bytes_ > 0) {
    vkCmdPushConstants(cb, layout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes_, push);
  }
  vkCmdDispatch(cb, groups_x, groups_y, groups_z);
}

void ComputePipeline::release_sets() { vkResetDescriptorPool(device_, pool_, 0); }

}  // namespace engine::vulkan
