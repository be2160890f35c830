// The engine's compute shaders (vulkan/shaders/*.comp), compiled to SPIR-V by glslc at build time
// and embedded in the binary.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace engine::vulkan {

// The SPIR-V of shader `name` (its file name without .comp); throws std::invalid_argument for an
// unknown name.
std::span<const uint32_t> shader(std::string_view name);

}  // namespace engine::vulkan
