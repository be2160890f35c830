// `mistral-engine devices`: what the engine can run on here, the CPU and every Vulkan device in
// the Vulkan loader's order.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "tensor/quants.h"
#include "vulkan/vulkan_context.h"

namespace engine::cli {
namespace {

std::string api_version(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) +
         "." + std::to_string(VK_API_VERSION_PATCH(v));
}

long long mib(uint64_t bytes) { return static_cast<long long>(bytes >> 20); }

}  // namespace

DeviceChoice parse_device(const Args& args) {
  try {
    return DeviceChoice::parse(args.str("device", "cpu"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--device: ") + e.what());
  }
}

int run_devices(const std::vector<std::string>& argv) {
  const Args args(argv, {}, {"json"});
  if (!args.positional().empty()) throw UsageError("devices takes no arguments");
  const std::vector<vulkan::DeviceInfo> devices = vulkan::list_devices();
  const unsigned threads = std::thread::hardware_concurrency();
  if (args.flag("json")) {
    nlohmann::json out = {{"cpu", {{"simd", simd_level()}, {"threads", threads}}},
                          {"vulkan", nlohmann::json::array()}};
    for (const vulkan::DeviceInfo& d : devices) {
      out["vulkan"].push_back({{"index", d.index},
                               {"name", d.name},
                               {"type", d.type},
                               {"driver", d.driver},
                               {"api_version", api_version(d.api_version)},
                               {"device_local_bytes", d.device_local_bytes},
                               {"max_storage_buffer_range", d.max_storage_buffer_range},
                               {"max_allocation_bytes", d.max_allocation_bytes},
                               {"compute_queue", d.has_compute_queue},
                               {"int8_dot", d.int8_dot},
                               {"cooperative_matrix", d.cooperative_matrix}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("cpu        %s kernels, %u hardware threads\n", simd_level(), threads);
  if (devices.empty()) std::printf("vulkan     no device (the Vulkan loader found no driver)\n");
  for (const vulkan::DeviceInfo& d : devices) {
    std::printf(
        "vulkan:%-3u %s [%s], Vulkan %s, %s\n           %lld MiB device-local, bindings up to %lld "
        "MiB, allocations up to %lld MiB, int8 dot %s, cooperative matrix %s%s\n",
        d.index, d.name.c_str(), d.type.c_str(), api_version(d.api_version).c_str(),
        d.driver.empty() ? "driver not reported" : d.driver.c_str(), mib(d.device_local_bytes),
        mib(d.max_storage_buffer_range), mib(d.max_allocation_bytes), d.int8_dot ? "yes" : "no",
        d.cooperative_matrix ? "yes" : "no", d.has_compute_queue ? "" : ", NO compute queue");
  }
  return 0;
}

}  // namespace engine::cli
