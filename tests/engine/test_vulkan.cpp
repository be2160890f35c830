// The Vulkan layer: device discovery, its errors, and compute shaders against the CPU. CI runs
// these on Mesa's lavapipe (a CPU Vulkan device); with no Vulkan driver at all, the tests that
// need a device skip and say so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "pull_test_process.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/device_layout.h"
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

// F32 rows of n elements for `tokens` tokens, one of them all zeros (a block with amax 0).
std::vector<float> activations(int n, int tokens, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> x(static_cast<size_t>(n) * tokens);
  for (float& v : x) v = dist(rng);
  std::fill(x.begin(), x.begin() + 32, 0.0f);
  return x;
}

// Activations quantized to Q8_0 on the device: q words and a float scale per block.
struct DeviceQ8 {
  std::vector<uint32_t> q;
  std::vector<float> d;
};

DeviceQ8 quantize_on_device(Context& ctx, const std::vector<float>& x) {
  const uint32_t n_blocks = static_cast<uint32_t>(x.size() / 32);
  const Buffer xb(ctx, x.size() * 4, Buffer::Memory::device);
  const Buffer qb(ctx, n_blocks * 32, Buffer::Memory::device);
  const Buffer db(ctx, n_blocks * 4, Buffer::Memory::device);
  upload(ctx, xb, 0, x.data(), x.size() * 4);
  ComputePipeline quantize(ctx, shader("quantize_q8_0"), 3, sizeof(uint32_t));
  const Buffer* bindings[] = {&xb, &qb, &db};
  ctx.run_now([&](VkCommandBuffer cb) {
    quantize.dispatch(cb, bindings, &n_blocks, (n_blocks + 63) / 64);
  });
  DeviceQ8 out{std::vector<uint32_t>(n_blocks * 8), std::vector<float>(n_blocks)};
  download(ctx, qb, 0, out.q.data(), out.q.size() * 4);
  download(ctx, db, 0, out.d.data(), out.d.size() * 4);
  return out;
}

// As the CPU's quantize_row, allowing for GPU division (2.5 ULP in Vulkan) and F16 packing
// rounding: scales within one F16 step, quants within one, and differing quants rare.
TEST(VulkanKernels, QuantizeQ8_0MatchesTheCpu) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const int n = 7 * 32, tokens = 5;
  const std::vector<float> x = activations(n, tokens, 9);
  const DeviceQ8 got = quantize_on_device(*ctx, x);
  std::vector<BlockQ8_0> want(x.size() / 32);
  quantize_row(GgmlType::Q8_0, x.data(), want.data(), static_cast<int64_t>(x.size()));
  int differing = 0;
  for (size_t b = 0; b < want.size(); ++b) {
    const int step =
        std::abs(static_cast<int>(fp32_to_fp16(got.d[b])) - static_cast<int>(want[b].d));
    EXPECT_LE(step, 1) << "block " << b;
    for (int j = 0; j < 32; ++j) {
      const int g = static_cast<int8_t>(got.q[b * 8 + j / 4] >> (8 * (j % 4)));
      EXPECT_LE(std::abs(g - want[b].qs[j]), 1) << "block " << b << " element " << j;
      differing += g != want[b].qs[j];
    }
  }
  EXPECT_EQ(got.d[0], 0.0f);  // the zero block
  EXPECT_LE(differing, static_cast<int>(x.size()) / 100);
}

TEST(VulkanKernels, MatvecQ8_0MatchesTheCpuReference) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  ComputePipeline matvec(*ctx, shader("matvec_q8_0"), 5, 2 * sizeof(uint32_t));
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto& [n, rows, tokens] : {std::tuple{32, 1, 1}, {7 * 32, 37, 3}, {4096, 16, 2}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(rows) + " by " +
                 std::to_string(tokens));
    const int nb = n / 32;
    std::vector<float> wf(static_cast<size_t>(n) * rows);
    for (float& v : wf) v = dist(rng);
    std::vector<BlockQ8_0> w(wf.size() / 32);
    quantize_row(GgmlType::Q8_0, wf.data(), w.data(), static_cast<int64_t>(wf.size()));
    const DeviceMatrix dm = to_device_layout(GgmlType::Q8_0, reinterpret_cast<uint8_t*>(w.data()),
                                             nb * sizeof(BlockQ8_0), rows, n);
    const DeviceQ8 a = quantize_on_device(*ctx, activations(n, tokens, 4));

    const Buffer wq(*ctx, dm.quants.size() * 4, Buffer::Memory::device);
    const Buffer wd(*ctx, dm.scales.size() * 4, Buffer::Memory::device);
    const Buffer aq(*ctx, a.q.size() * 4, Buffer::Memory::device);
    const Buffer ad(*ctx, a.d.size() * 4, Buffer::Memory::device);
    const Buffer yb(*ctx, static_cast<size_t>(rows) * tokens * 4, Buffer::Memory::device);
    upload(*ctx, wq, 0, dm.quants.data(), dm.quants.size() * 4);
    upload(*ctx, wd, 0, dm.scales.data(), dm.scales.size() * 4);
    upload(*ctx, aq, 0, a.q.data(), a.q.size() * 4);
    upload(*ctx, ad, 0, a.d.data(), a.d.size() * 4);
    const uint32_t shape[2] = {static_cast<uint32_t>(nb), static_cast<uint32_t>(rows)};
    const Buffer* bindings[] = {&wq, &wd, &aq, &ad, &yb};
    ctx->run_now([&](VkCommandBuffer cb) {
      matvec.dispatch(cb, bindings, shape, static_cast<uint32_t>(rows),
                      static_cast<uint32_t>(tokens));
    });
    matvec.release_sets();
    std::vector<float> y(static_cast<size_t>(rows) * tokens);
    download(*ctx, yb, 0, y.data(), y.size() * 4);

    for (int t = 0; t < tokens; ++t) {
      // The device's activations as CPU Q8_0 blocks, for the reference dot.
      std::vector<BlockQ8_0> act(nb);
      for (int b = 0; b < nb; ++b) {
        act[b].d = fp32_to_fp16(a.d[t * nb + b]);
        std::memcpy(act[b].qs, &a.q[(t * nb + b) * 8], 32);
      }
      for (int r = 0; r < rows; ++r) {
        const BlockQ8_0* wr = &w[static_cast<size_t>(r) * nb];
        double mag = 0.0;
        for (int b = 0; b < nb; ++b) {
          for (int j = 0; j < 32; ++j) {
            mag += std::fabs(fp16_to_fp32(wr[b].d) * wr[b].qs[j] * a.d[t * nb + b] * act[b].qs[j]);
          }
        }
        EXPECT_NEAR(y[t * rows + r], vec_dot_reference(GgmlType::Q8_0, n, wr, act.data()),
                    1e-5 * mag + 1e-30)
            << "row " << r << " token " << t;
      }
    }
  }
}

// Activations quantized to Q8_K on the device: q words, a float scale per block, 16 sums.
struct DeviceQ8K {
  std::vector<uint32_t> q;
  std::vector<float> d;
  std::vector<int32_t> bsums;
};

DeviceQ8K quantize_q8_k_on_device(Context& ctx, const std::vector<float>& x) {
  const uint32_t n_blocks = static_cast<uint32_t>(x.size() / 256);
  const Buffer xb(ctx, x.size() * 4, Buffer::Memory::device);
  const Buffer qb(ctx, n_blocks * 256, Buffer::Memory::device);
  const Buffer db(ctx, n_blocks * 4, Buffer::Memory::device);
  const Buffer sb(ctx, n_blocks * 64, Buffer::Memory::device);
  upload(ctx, xb, 0, x.data(), x.size() * 4);
  ComputePipeline quantize(ctx, shader("quantize_q8_k"), 4, sizeof(uint32_t));
  const Buffer* bindings[] = {&xb, &qb, &db, &sb};
  ctx.run_now([&](VkCommandBuffer cb) {
    quantize.dispatch(cb, bindings, &n_blocks, (n_blocks + 63) / 64);
  });
  DeviceQ8K out{std::vector<uint32_t>(n_blocks * 64), std::vector<float>(n_blocks),
                std::vector<int32_t>(n_blocks * 16)};
  download(ctx, qb, 0, out.q.data(), out.q.size() * 4);
  download(ctx, db, 0, out.d.data(), out.d.size() * 4);
  download(ctx, sb, 0, out.bsums.data(), out.bsums.size() * 4);
  return out;
}

// The device's Q8_K activations of token t as CPU blocks.
std::vector<BlockQ8_K> cpu_blocks(const DeviceQ8K& a, int t, int nb) {
  std::vector<BlockQ8_K> out(nb);
  for (int b = 0; b < nb; ++b) {
    const int at = t * nb + b;
    out[b].d = a.d[at];
    std::memcpy(out[b].qs, &a.q[at * 64], 256);
    for (int g = 0; g < 16; ++g) out[b].bsums[g] = static_cast<int16_t>(a.bsums[at * 16 + g]);
  }
  return out;
}

TEST(VulkanKernels, QuantizeQ8_KMatchesTheCpu) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const int n = 3 * 256, tokens = 3;
  std::vector<float> x = activations(n, tokens, 12);
  std::fill(x.begin(), x.begin() + 256, 0.0f);  // an all-zero block
  const DeviceQ8K got = quantize_q8_k_on_device(*ctx, x);
  std::vector<BlockQ8_K> want(x.size() / 256);
  quantize_row(GgmlType::Q8_K, x.data(), want.data(), static_cast<int64_t>(x.size()));
  int differing = 0;
  for (size_t b = 0; b < want.size(); ++b) {
    EXPECT_NEAR(got.d[b], want[b].d, 1e-6f * std::fabs(want[b].d)) << "block " << b;
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) {
        const int i = 16 * g + j;
        const int q = static_cast<int8_t>(got.q[b * 64 + i / 4] >> (8 * (i % 4)));
        EXPECT_LE(std::abs(q - want[b].qs[i]), 1) << "block " << b << " element " << i;
        differing += q != want[b].qs[i];
        sum += q;
      }
      EXPECT_EQ(got.bsums[b * 16 + g], sum) << "the device's sums are of its own quants";
    }
  }
  EXPECT_EQ(got.d[0], 0.0f);
  EXPECT_LE(differing, static_cast<int>(x.size()) / 100);
}

TEST(VulkanKernels, MatvecQ4_KMatchesTheCpuReference) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  ComputePipeline matvec(*ctx, shader("matvec_q4_k"), 6, 2 * sizeof(uint32_t));
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto& [n, rows, tokens] : {std::tuple{256, 1, 1}, {3 * 256, 37, 3}, {4096, 16, 2}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(rows) + " by " +
                 std::to_string(tokens));
    const int nb = n / 256;
    std::vector<float> wf(static_cast<size_t>(n) * rows);
    for (float& v : wf) v = dist(rng);
    std::vector<BlockQ4_K> w(wf.size() / 256);
    quantize_row(GgmlType::Q4_K, wf.data(), w.data(), static_cast<int64_t>(wf.size()));
    const DeviceMatrix dm = to_device_layout(GgmlType::Q4_K, reinterpret_cast<uint8_t*>(w.data()),
                                             nb * sizeof(BlockQ4_K), rows, n);
    const DeviceQ8K a = quantize_q8_k_on_device(*ctx, activations(n, tokens, 5));

    const Buffer wq(*ctx, dm.quants.size() * 4, Buffer::Memory::device);
    const Buffer ws(*ctx, dm.scales.size() * 4, Buffer::Memory::device);
    const Buffer aq(*ctx, a.q.size() * 4, Buffer::Memory::device);
    const Buffer ad(*ctx, a.d.size() * 4, Buffer::Memory::device);
    const Buffer as(*ctx, a.bsums.size() * 4, Buffer::Memory::device);
    const Buffer yb(*ctx, static_cast<size_t>(rows) * tokens * 4, Buffer::Memory::device);
    upload(*ctx, wq, 0, dm.quants.data(), dm.quants.size() * 4);
    upload(*ctx, ws, 0, dm.scales.data(), dm.scales.size() * 4);
    upload(*ctx, aq, 0, a.q.data(), a.q.size() * 4);
    upload(*ctx, ad, 0, a.d.data(), a.d.size() * 4);
    upload(*ctx, as, 0, a.bsums.data(), a.bsums.size() * 4);
    const uint32_t shape[2] = {static_cast<uint32_t>(nb), static_cast<uint32_t>(rows)};
    const Buffer* bindings[] = {&wq, &ws, &aq, &ad, &as, &yb};
    ctx->run_now([&](VkCommandBuffer cb) {
      matvec.dispatch(cb, bindings, shape, static_cast<uint32_t>(rows),
                      static_cast<uint32_t>(tokens));
    });
    matvec.release_sets();
    std::vector<float> y(static_cast<size_t>(rows) * tokens);
    download(*ctx, yb, 0, y.data(), y.size() * 4);

    for (int t = 0; t < tokens; ++t) {
      const std::vector<BlockQ8_K> act = cpu_blocks(a, t, nb);
      std::vector<float> af(n);
      dequantize_row(GgmlType::Q8_K, act.data(), af.data(), n);
      for (int r = 0; r < rows; ++r) {
        const BlockQ4_K* wr = &w[static_cast<size_t>(r) * nb];
        std::vector<float> rowf(n);
        dequantize_row(GgmlType::Q4_K, wr, rowf.data(), n);
        double mag = 0.0;
        for (int i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(rowf[i]) * af[i]);
        EXPECT_NEAR(y[t * rows + r], vec_dot_reference(GgmlType::Q4_K, n, wr, act.data()),
                    1e-5 * mag + 1e-30)
            << "row " << r << " token " << t;
      }
    }
  }
}

TEST(VulkanLayout, RejectsWhatItCannotLayOut) {
  std::vector<uint8_t> rows(row_bytes(GgmlType::Q6_K, 256));
  EXPECT_THROW(to_device_layout(GgmlType::Q6_K, rows.data(), rows.size(), 1, 256),
               std::invalid_argument);
  EXPECT_THROW(to_device_layout(GgmlType::Q8_0, rows.data(), rows.size(), 1, 48),
               std::invalid_argument);
}

TEST(VulkanKernels, UnknownShaderIsNamed) {
  EXPECT_THROW(shader("no_such_shader"), std::invalid_argument);
}

}  // namespace
}  // namespace engine::vulkan
