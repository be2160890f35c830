#include "vulkan/vulkan_context.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace engine::vulkan {
namespace {

const char* result_name(VkResult r) {
  switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      return "out of host memory";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      return "out of device memory";
    case VK_ERROR_INITIALIZATION_FAILED:
      return "initialization failed";
    case VK_ERROR_DEVICE_LOST:
      return "device lost";
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      return "no compatible Vulkan driver";
    case VK_ERROR_EXTENSION_NOT_PRESENT:
      return "extension not present";
    case VK_ERROR_FEATURE_NOT_PRESENT:
      return "feature not present";
    case VK_ERROR_TOO_MANY_OBJECTS:
      return "too many objects";
    default:
      return "error";
  }
}

// An instance for compute, or VK_NULL_HANDLE where the loader finds no driver.
VkInstance create_instance() {
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "mistral-engine";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  ci.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  const VkResult r = vkCreateInstance(&ci, nullptr, &instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) return VK_NULL_HANDLE;
  check(r, "creating the Vulkan instance");
  return instance;
}

// The process's instance, created on first use and kept for the process's life: the drivers load
// once and stay loaded (unloading them at every device listing would also hide what they
// allocate from leak checkers).
VkInstance process_instance() {
  static const VkInstance instance = create_instance();
  return instance;
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance instance) {
  uint32_t n = 0;
  check(vkEnumeratePhysicalDevices(instance, &n, nullptr), "listing Vulkan devices");
  std::vector<VkPhysicalDevice> out(n);
  check(vkEnumeratePhysicalDevices(instance, &n, out.data()), "listing Vulkan devices");
  out.resize(n);
  return out;
}

std::string type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "cpu";
    default:
      return "other";
  }
}

// The compute queue family of a device, preferring one without graphics (a dedicated compute
// engine), or -1.
int compute_queue_family(VkPhysicalDevice pd) {
  uint32_t n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, families.data());
  int best = -1;
  for (uint32_t i = 0; i < n; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
    if (best < 0 || !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) best = static_cast<int>(i);
  }
  return best;
}

DeviceInfo describe(VkPhysicalDevice pd, uint32_t index) {
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(pd, &props);
  DeviceInfo info;
  info.index = index;
  info.name = props.deviceName;
  info.type = type_name(props.deviceType);
  info.api_version = props.apiVersion;
  info.max_storage_buffer_range = props.limits.maxStorageBufferRange;
  info.max_groups_x = props.limits.maxComputeWorkGroupCount[0];
  info.max_groups_y = props.limits.maxComputeWorkGroupCount[1];

  VkPhysicalDeviceMaintenance3Properties m3{};
  m3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES;
  VkPhysicalDeviceDriverProperties driver{};
  driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
  const bool v12 = props.apiVersion >= VK_API_VERSION_1_2;
  m3.pNext = v12 ? &driver : nullptr;
  VkPhysicalDeviceProperties2 props2{};
  props2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  props2.pNext = &m3;
  vkGetPhysicalDeviceProperties2(pd, &props2);
  info.max_allocation_bytes = m3.maxMemoryAllocationSize;
  if (v12) info.driver = std::string(driver.driverName) + " " + driver.driverInfo;

  VkPhysicalDeviceMemoryProperties mem{};
  vkGetPhysicalDeviceMemoryProperties(pd, &mem);
  for (uint32_t i = 0; i < mem.memoryHeapCount; ++i) {
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) {
      info.device_local_bytes =
          std::max<uint64_t>(info.device_local_bytes, mem.memoryHeaps[i].size);
    }
  }
  info.has_compute_queue = compute_queue_family(pd) >= 0;

  uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> exts(n);
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, exts.data());
  for (const VkExtensionProperties& e : exts) {
    if (std::strcmp(e.extensionName, "VK_KHR_shader_integer_dot_product") == 0)
      info.int8_dot = true;
    if (std::strcmp(e.extensionName, "VK_KHR_cooperative_matrix") == 0) {
      info.cooperative_matrix = true;
    }
  }
  return info;
}

std::string device_list_text(const std::vector<DeviceInfo>& devices) {
  if (devices.empty()) return "the Vulkan loader found no device";
  std::string s = "devices:";
  for (const DeviceInfo& d : devices) s += " " + std::to_string(d.index) + " (" + d.name + ")";
  return s;
}

}  // namespace

void check(VkResult r, const char* what) {
  if (r != VK_SUCCESS) {
    throw VulkanError(std::string("Vulkan: ") + what + " failed: " + result_name(r) + " (" +
                      std::to_string(static_cast<int>(r)) + ")");
  }
}

std::vector<DeviceInfo> list_devices() {
  const VkInstance instance = process_instance();
  if (instance == VK_NULL_HANDLE) return {};
  const std::vector<VkPhysicalDevice> pds = physical_devices(instance);
  std::vector<DeviceInfo> out;
  for (uint32_t i = 0; i < pds.size(); ++i) out.push_back(describe(pds[i], i));
  return out;
}

Context::Context(uint32_t index) {
  const VkInstance instance = process_instance();
  if (instance == VK_NULL_HANDLE) {
    throw VulkanError("no Vulkan device: the Vulkan loader found no driver (ICD)");
  }
  try {
    const std::vector<VkPhysicalDevice> pds = physical_devices(instance);
    if (index >= pds.size()) {
      std::vector<DeviceInfo> all;
      for (uint32_t i = 0; i < pds.size(); ++i) all.push_back(describe(pds[i], i));
      throw VulkanError(pds.empty() ? std::string("no Vulkan device: ") + device_list_text(all)
                                    : "there is no Vulkan device " + std::to_string(index) + "; " +
                                          device_list_text(all));
    }
    physical_ = pds[index];
    info_ = describe(physical_, index);
    const int family = compute_queue_family(physical_);
    if (family < 0) {
      throw VulkanError("Vulkan device " + std::to_string(index) + " (" + info_.name +
                        ") has no compute queue");
    }
    if (info_.api_version < VK_API_VERSION_1_2) {
      throw VulkanError(
          "Vulkan device " + std::to_string(index) + " (" + info_.name + ") supports Vulkan " +
          std::to_string(VK_API_VERSION_MAJOR(info_.api_version)) + "." +
          std::to_string(VK_API_VERSION_MINOR(info_.api_version)) + "; the engine needs 1.2");
    }
    queue_family_ = static_cast<uint32_t>(family);
    vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qci{};
    qci.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    qci.queueFamilyIndex = queue_family_;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    VkDeviceCreateInfo dci{};
    dci.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    // Integer dot products, where the device has the extension and its feature: the matvec
    // shaders' _int8 builds use them.
    VkPhysicalDeviceShaderIntegerDotProductFeaturesKHR dot{};
    dot.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES_KHR;
    const char* const dot_extension = VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME;
    if (info_.int8_dot) {
      VkPhysicalDeviceFeatures2 features{};
      features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
      features.pNext = &dot;
      vkGetPhysicalDeviceFeatures2(physical_, &features);
      int8_dot_ = dot.shaderIntegerDotProduct == VK_TRUE;
    }
    if (int8_dot_) {
      dci.pNext = &dot;
      dci.enabledExtensionCount = 1;
      dci.ppEnabledExtensionNames = &dot_extension;
    }
    check(vkCreateDevice(physical_, &dci, nullptr, &device_), "creating the logical device");
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

    VkCommandPoolCreateInfo pci{};
    pci.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = queue_family_;
    check(vkCreateCommandPool(device_, &pci, nullptr, &command_pool_), "creating a command pool");
    commands_ = new_command_buffer();
    VkFenceCreateInfo fci{};
    fci.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    check(vkCreateFence(device_, &fci, nullptr, &fence_), "creating a fence");
  } catch (...) {
    release();
    throw;
  }
}

Context::~Context() { release(); }

void Context::release() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    if (fence_ != VK_NULL_HANDLE) vkDestroyFence(device_, fence_, nullptr);
    if (command_pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, command_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  device_ = VK_NULL_HANDLE;
  fence_ = VK_NULL_HANDLE;
  command_pool_ = VK_NULL_HANDLE;
}

uint32_t Context::memory_type(uint32_t allowed, VkMemoryPropertyFlags required,
                              VkMemoryPropertyFlags preferred) const {
  for (const VkMemoryPropertyFlags want : {required | preferred, required}) {
    for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
      if ((allowed & (1u << i)) && (memory_.memoryTypes[i].propertyFlags & want) == want) return i;
    }
  }
  throw VulkanError("Vulkan device " + info_.name +
                    " has no memory type with the properties needed");
}

VkCommandBuffer Context::begin_commands() {
  check(vkResetCommandBuffer(commands_, 0), "resetting the command buffer");
  VkCommandBufferBeginInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(vkBeginCommandBuffer(commands_, &bi), "beginning a command buffer");
  return commands_;
}

void Context::submit_and_wait() {
  check(vkEndCommandBuffer(commands_), "ending a command buffer");
  run(commands_);
}

VkCommandBuffer Context::new_command_buffer() {
  VkCommandBufferAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  ai.commandPool = command_pool_;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cb = VK_NULL_HANDLE;
  check(vkAllocateCommandBuffers(device_, &ai, &cb), "allocating a command buffer");
  return cb;
}

void Context::run(VkCommandBuffer cb) {
  VkSubmitInfo si{};
  si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cb;
  check(vkQueueSubmit(queue_, 1, &si, fence_), "submitting commands");
  const VkResult r = vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX);
  vkResetFences(device_, 1, &fence_);
  check(r, "running commands");
}

}  // namespace engine::vulkan
