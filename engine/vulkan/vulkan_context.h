// A Vulkan compute device: the chosen physical device of the process's one instance, a logical
// device with one compute queue, and what the engine needs to know about its limits. Devices are
// numbered as `mistral-engine devices` lists them, in the loader's order.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace engine::vulkan {

// A failed Vulkan call or an unusable device, with what was being done.
class VulkanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws VulkanError naming `what` and the result unless r is VK_SUCCESS.
void check(VkResult r, const char* what);

struct DeviceInfo {
  uint32_t index = 0;
  std::string name;
  std::string type;    // "discrete", "integrated", "virtual", "cpu" or "other"
  std::string driver;  // the driver's name and version, where the device reports them
  uint32_t api_version = 0;
  uint64_t device_local_bytes = 0;        // the largest device-local heap
  uint64_t max_storage_buffer_range = 0;  // the most bytes one storage-buffer binding may cover
  uint64_t max_allocation_bytes = 0;      // the largest single allocation
  uint32_t max_groups_x = 0;              // maxComputeWorkGroupCount[0] and [1]
  uint32_t max_groups_y = 0;
  bool has_compute_queue = false;
  bool int8_dot = false;            // VK_KHR_shader_integer_dot_product
  bool cooperative_matrix = false;  // VK_KHR_cooperative_matrix
};

// Every device the Vulkan loader finds; empty where there is no loader driver (ICD) at all.
std::vector<DeviceInfo> list_devices();

class Context {
 public:
  // Opens device `index` of list_devices(). Throws VulkanError saying which devices exist when
  // there is none, the index is out of range, or why the device cannot be used: no compute
  // queue, or Vulkan older than 1.2 (the shaders' SPIR-V is 1.5).
  explicit Context(uint32_t index);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& info() const { return info_; }
  // Whether integer dot products (VK_KHR_shader_integer_dot_product) are enabled on the device.
  bool int8_dot() const { return int8_dot_; }
  VkDevice device() const { return device_; }
  VkPhysicalDevice physical_device() const { return physical_; }
  VkQueue queue() const { return queue_; }
  VkCommandPool command_pool() const { return command_pool_; }

  // A memory type index with all of `required` among `allowed` (a resource's memoryTypeBits),
  // one that also has `preferred` where there is one.
  uint32_t memory_type(uint32_t allowed, VkMemoryPropertyFlags required,
                       VkMemoryPropertyFlags preferred = 0) const;

  // Records commands with `record`, submits them and waits until they have run.
  template <typename Record>
  void run_now(Record&& record) {
    VkCommandBuffer cb = begin_commands();
    record(cb);
    submit_and_wait();
  }

  // The context's own command buffer, allocated once and reset here for each use: begins
  // recording into it. submit_and_wait() runs what was recorded and returns when it has run.
  VkCommandBuffer begin_commands();
  void submit_and_wait();

  // Another command buffer of the context's pool, for a caller that records it once and runs it
  // many times with run(). It lives as long as the context.
  VkCommandBuffer new_command_buffer();
  // Runs recorded (ended) commands and returns when they have run.
  void run(VkCommandBuffer cb);

 private:
  void release();

  DeviceInfo info_;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkCommandPool command_pool_ = VK_NULL_HANDLE;
  VkCommandBuffer commands_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  bool int8_dot_ = false;
  VkPhysicalDeviceMemoryProperties memory_{};
};

}  // namespace engine::vulkan
