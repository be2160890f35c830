#include "backend/backend.h"

#include <algorithm>
#include <stdexcept>

#include "cpu/cpu_backend.h"
#include "vulkan/vulkan_backend.h"

namespace engine {

int64_t act_width(const ModelConfig& c, Act a) {
  switch (a) {
    case Act::x:
      return c.dim;
    case Act::xb:
      return std::max(c.dim, c.q_dim());
    case Act::q:
    case Act::attn:
      return c.q_dim();
    case Act::k:
    case Act::v:
      return c.kv_dim();
    case Act::gate:
    case Act::up:
      return c.ff_dim;
  }
  throw std::logic_error("unknown activation");
}

DeviceChoice DeviceChoice::parse(const std::string& text) {
  if (text == "cpu") return {};
  if (text == "vulkan") return {Kind::vulkan, 0};
  const std::string prefix = "vulkan:";
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() &&
      text.size() <= prefix.size() + 4 &&
      text.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
    return {Kind::vulkan, static_cast<uint32_t>(std::stoul(text.substr(prefix.size())))};
  }
  throw std::invalid_argument("device \"" + text +
                              "\" is not one of cpu, vulkan or vulkan:N (N as `mistral-engine "
                              "devices` numbers them)");
}

std::string DeviceChoice::name() const {
  return kind == Kind::cpu ? "cpu" : "vulkan:" + std::to_string(index);
}

std::unique_ptr<Backend> make_backend(const DeviceChoice& device, const ModelConfig& config,
                                      ModelWeights& weights, int n_threads) {
  if (device.kind == DeviceChoice::Kind::vulkan) {
    return std::make_unique<vulkan::VulkanBackend>(device.index, config, weights);
  }
  return std::make_unique<CpuBackend>(config, weights, n_threads);
}

}  // namespace engine
