// The Vulkan layer: device discovery, its errors, and compute shaders against the CPU. CI runs
// these on Mesa's lavapipe (a CPU Vulkan device); with no Vulkan driver at all, the tests that
// need a device skip and say so.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "pull_test_process.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/shaders.h"
#include "vulkan/vulkan_buffer.h"
#include "vulkan/vulkan_context.h"

namespace engine::vulkan {
namespace {

TEST(VulkanDevices, EveryListedDeviceOpensAndOneMoreIsNamedMissing) {
  const std::vector<DeviceInfo> devices = list_devices();
  for (const DeviceInfo& d : devices) {
    SCOPED_TRACE(d.name);
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.max_storage_buffer_range, 0u);
    if (!d.has_compute_queue) continue;
    const Context ctx(d.index);
    EXPECT_EQ(ctx.info().name, d.name);
    EXPECT_GE(ctx.info().api_version, static_cast<uint32_t>(VK_API_VERSION_1_1));
  }
  try {
    const Context ctx(static_cast<uint32_t>(devices.size()));
    FAIL() << "opened a device past the end of the list";
  } catch (const VulkanError& e) {
    const std::string what = e.what();
    if (devices.empty()) {
      EXPECT_NE(what.find("no Vulkan device"), std::string::npos) << what;
    } else {
      EXPECT_NE(what.find("there is no Vulkan device " + std::to_string(devices.size())),
                std::string::npos)
          << what;
      EXPECT_NE(what.find(devices[0].name), std::string::npos) << what;
    }
  }
}

TEST(VulkanDevices, DevicesCommandListsThemAndSaysWhenThereIsNone) {
  const mf_test::ProcessResult listed = mf_test::run_process({MF_ENGINE_BIN, "devices"}, {});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("cpu "), std::string::npos) << listed.out;
  for (const DeviceInfo& d : list_devices()) {
    EXPECT_NE(listed.out.find("vulkan:" + std::to_string(d.index)), std::string::npos);
    EXPECT_NE(listed.out.find(d.name), std::string::npos) << listed.out;
  }
  // A loader pointed at no driver: the engine still runs and says there is no device.
  const std::map<std::string, std::string> no_driver = {
      {"VK_ICD_FILENAMES", "/nonexistent/icd.json"}, {"VK_DRIVER_FILES", "/nonexistent/icd.json"}};
  const mf_test::ProcessResult none = mf_test::run_process({MF_ENGINE_BIN, "devices"}, no_driver);
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("vulkan     no device"), std::string::npos) << none.out;
  EXPECT_EQ(none.out.find("vulkan:0"), std::string::npos) << none.out;
}

// The first device with a compute queue, or nullptr (and the test skips).
std::unique_ptr<Context> first_device() {
  for (const DeviceInfo& d : list_devices()) {
    if (d.has_compute_queue) return std::make_unique<Context>(d.index);
  }
  return nullptr;
}

TEST(VulkanKernels, MatvecF32MatchesTheCpuOnAwkwardShapes) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  ComputePipeline matvec(*ctx, shader("matvec_f32"), 3, 2 * sizeof(uint32_t));
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto& [n, rows, tokens] :
       {std::tuple{1, 1, 1}, {63, 37, 3}, {1000, 5, 2}, {4096, 16, 1}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(rows) + " by " +
                 std::to_string(tokens));
    std::vector<float> w(static_cast<size_t>(n) * rows), x(static_cast<size_t>(n) * tokens);
    for (float& v : w) v = dist(rng);
    for (float& v : x) v = dist(rng);
    const Buffer wb(*ctx, w.size() * 4, Buffer::Memory::device);
    const Buffer xb(*ctx, x.size() * 4, Buffer::Memory::device);
    const Buffer yb(*ctx, static_cast<size_t>(rows) * tokens * 4, Buffer::Memory::device);
    upload(*ctx, wb, 0, w.data(), w.size() * 4);
    upload(*ctx, xb, 0, x.data(), x.size() * 4);
    const uint32_t shape[2] = {static_cast<uint32_t>(n), static_cast<uint32_t>(rows)};
    const Buffer* bindings[] = {&wb, &xb, &yb};
    ctx->run_now([&](VkCommandBuffer cb) {
      matvec.dispatch(cb, bindings, shape, static_cast<uint32_t>(rows),
                      static_cast<uint32_t>(tokens));
    });
    matvec.release_sets();
    std::vector<float> y(static_cast<size_t>(rows) * tokens);
    download(*ctx, yb, 0, y.data(), y.size() * 4);
    for (int t = 0; t < tokens; ++t) {
      for (int r = 0; r < rows; ++r) {
        double want = 0.0, mag = 0.0;
        for (int i = 0; i < n; ++i) {
          const double p = static_cast<double>(w[r * n + i]) * x[t * n + i];
          want += p;
          mag += std::fabs(p);
        }
        EXPECT_NEAR(y[t * rows + r], want, 2e-5 * mag + 1e-30) << "row " << r << " token " << t;
      }
    }
  }
}

TEST(VulkanKernels, UnknownShaderIsNamed) {
  EXPECT_THROW(shader("no_such_shader"), std::invalid_argument);
}

}  // namespace
}  // namespace engine::vulkan
