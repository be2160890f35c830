// The Vulkan layer: device discovery, its errors, and compute shaders against the CPU. CI runs
// these on Mesa's lavapipe (a CPU Vulkan device); with no Vulkan driver at all, the tests that
// need a device skip and say so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cpu/ops.h"
#include "model/kv_cache.h"
#include "model/model_config.h"
#include "pull_test_process.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"
#include "tensor/silu_mul.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/device_layout.h"
#include "vulkan/grids.h"
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

// Runs `name` over `buffers` (each uploaded from host floats, or words in floats' clothing, and
// read back after) with `push`, in groups x groups_y workgroups.
template <typename Push>
std::vector<std::vector<float>> run_shader(Context& ctx, const char* name,
                                           const std::vector<std::vector<float>>& buffers,
                                           const Push& push, uint32_t groups,
                                           uint32_t groups_y = 1) {
  std::vector<Buffer> device;
  for (const std::vector<float>& b : buffers) {
    device.emplace_back(ctx, b.size() * 4, Buffer::Memory::device);
    upload(ctx, device.back(), 0, b.data(), b.size() * 4);
  }
  std::vector<const Buffer*> bindings;
  for (const Buffer& b : device) bindings.push_back(&b);
  ComputePipeline pipeline(ctx, shader(name), static_cast<uint32_t>(buffers.size()), sizeof(Push));
  ctx.run_now(
      [&](VkCommandBuffer cb) { pipeline.dispatch(cb, bindings, &push, groups, groups_y); });
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < buffers.size(); ++i) {
    out.emplace_back(buffers[i].size());
    download(ctx, device[i], 0, out.back().data(), out.back().size() * 4);
  }
  return out;
}

TEST(VulkanKernels, MatvecF32MatchesTheCpuOnAwkwardShapes) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto& [n, rows, tokens] :
       {std::tuple{1, 1, 1}, {63, 37, 3}, {1000, 5, 2}, {4096, 16, 1}, {100, 7, 19}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(rows) + " by " +
                 std::to_string(tokens));
    std::vector<float> w(static_cast<size_t>(n) * rows), x(static_cast<size_t>(n) * tokens);
    for (float& v : w) v = dist(rng);
    for (float& v : x) v = dist(rng);
    const MatvecShape shape{static_cast<uint32_t>(n), static_cast<uint32_t>(rows), 0,
                            static_cast<uint32_t>(tokens), static_cast<uint32_t>(rows)};
    const std::vector<float> y =
        run_shader(*ctx, "matvec_f32", {w, x, std::vector<float>(rows * tokens)}, shape,
                   matvec_grid(shape).x, matvec_grid(shape).y)[2];
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

// F32 rows of n elements for `tokens` tokens, the first 32 values zero (a block with amax 0).
std::vector<float> activations(int n, int tokens, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> x(static_cast<size_t>(n) * tokens);
  for (float& v : x) v = dist(rng);
  std::fill(x.begin(), x.begin() + std::min<size_t>(32, x.size()), 0.0f);
  return x;
}

// Activations quantized to Q8_0 on the device: q words and a float scale per block.
struct DeviceQ8 {
  std::vector<uint32_t> q;
  std::vector<float> d;
};

// The bits of `words` floats as the type the shader wrote them as.
template <typename T>
std::vector<T> as(const std::vector<float>& words) {
  std::vector<T> out(words.size());
  std::memcpy(out.data(), words.data(), words.size() * 4);
  return out;
}

DeviceQ8 quantize_on_device(Context& ctx, const std::vector<float>& x) {
  const uint32_t n_blocks = static_cast<uint32_t>(x.size() / 32);
  const auto out = run_shader(ctx, "quantize_q8_0",
                              {x, std::vector<float>(n_blocks * 8), std::vector<float>(n_blocks)},
                              n_blocks, (n_blocks + 63) / 64);
  return {as<uint32_t>(out[1]), out[2]};
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

// Activations quantized to Q8_K on the device: q words, a float scale per block, 16 sums.
struct DeviceQ8K {
  std::vector<uint32_t> q;
  std::vector<float> d;
  std::vector<int32_t> bsums;
};

DeviceQ8K quantize_q8_k_on_device(Context& ctx, const std::vector<float>& x) {
  const uint32_t n_blocks = static_cast<uint32_t>(x.size() / 256);
  const auto out = run_shader(ctx, "quantize_q8_k",
                              {x, std::vector<float>(n_blocks * 64), std::vector<float>(n_blocks),
                               std::vector<float>(n_blocks * 16)},
                              n_blocks, (n_blocks + 63) / 64);
  return {as<uint32_t>(out[1]), out[2], as<int32_t>(out[3])};
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

// Activations of `tokens` rows quantized on the device to Q8_0 or Q8_K, as buffers the matrix
// shaders bind (quants, scales, and for Q8_K the sums) and as CPU blocks for the reference.
struct DeviceActivations {
  std::vector<Buffer> buffers;
  std::vector<std::vector<uint8_t>> cpu_rows;  // one row of CPU blocks per token
};

DeviceActivations device_activations(Context& ctx, GgmlType type, int n, int tokens,
                                     uint32_t seed) {
  const std::vector<float> x = activations(n, tokens, seed);
  DeviceActivations out;
  auto buffer = [&](const auto& v) {
    Buffer b(ctx, v.size() * 4, Buffer::Memory::device);
    upload(ctx, b, 0, v.data(), v.size() * 4);
    out.buffers.push_back(std::move(b));
  };
  const size_t row = row_bytes(type, n);
  if (type == GgmlType::Q8_0) {
    const DeviceQ8 a = quantize_on_device(ctx, x);
    buffer(a.q);
    buffer(a.d);
    const int nb = n / 32;
    for (int t = 0; t < tokens; ++t) {
      std::vector<BlockQ8_0> blocks(nb);
      for (int b = 0; b < nb; ++b) {
        blocks[b].d = fp32_to_fp16(a.d[t * nb + b]);
        std::memcpy(blocks[b].qs, &a.q[(t * nb + b) * 8], 32);
      }
      out.cpu_rows.emplace_back(reinterpret_cast<uint8_t*>(blocks.data()),
                                reinterpret_cast<uint8_t*>(blocks.data()) + row);
    }
  } else {
    const DeviceQ8K a = quantize_q8_k_on_device(ctx, x);
    buffer(a.q);
    buffer(a.d);
    buffer(a.bsums);
    for (int t = 0; t < tokens; ++t) {
      const std::vector<BlockQ8_K> blocks = cpu_blocks(a, t, n / 256);
      out.cpu_rows.emplace_back(reinterpret_cast<const uint8_t*>(blocks.data()),
                                reinterpret_cast<const uint8_t*>(blocks.data()) + row);
    }
  }
  return out;
}

// Every quantized type's matrix-vector shader against the CPU reference on the same quantized
// activations: weights quantized on the CPU and laid out by to_device_layout, awkward shapes.
TEST(VulkanKernels, QuantizedMatvecsMatchTheCpuReference) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (GgmlType type :
       {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const std::string name(type_info(type).name);
    const int block = static_cast<int>(type_info(type).block_size);
    const GgmlType at = vec_dot_type(type);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    // The portable build, and the integer-dot one where the device has it: the same integers.
    std::vector<std::string> variants = {"matvec_" + lower};
    if (ctx->int8_dot()) variants.push_back("matvec_" + lower + "_int8");
    // One block; an odd count of blocks over 37 rows (the rows' F16 scale pairs end half
    // empty); the 7B model's row length.
    for (const auto& [nb, rows, tokens] :
         {std::tuple{1, 1, 1}, {3, 37, 3}, {4096 / block, 16, 2}, {2, 5, 11}}) {
      const int n = nb * block;
      SCOPED_TRACE(name + " " + std::to_string(n) + " x " + std::to_string(rows) + " by " +
                   std::to_string(tokens));
      std::vector<float> wf(static_cast<size_t>(n) * rows);
      for (float& v : wf) v = dist(rng);
      const size_t row = row_bytes(type, n);
      std::vector<uint8_t> w(row * rows);
      quantize_row(type, wf.data(), w.data(), static_cast<int64_t>(wf.size()));
      const DeviceMatrix dm = to_device_layout(type, w.data(), row, rows, n);
      const DeviceActivations a = device_activations(*ctx, at, n, tokens, 5);

      const Buffer wq(*ctx, dm.quants.size() * 4, Buffer::Memory::device);
      const Buffer ws(*ctx, dm.scales.size() * 4, Buffer::Memory::device);
      const Buffer yb(*ctx, static_cast<size_t>(rows) * tokens * 4, Buffer::Memory::device);
      upload(*ctx, wq, 0, dm.quants.data(), dm.quants.size() * 4);
      upload(*ctx, ws, 0, dm.scales.data(), dm.scales.size() * 4);
      std::vector<const Buffer*> bindings = {&wq, &ws};
      for (const Buffer& b : a.buffers) bindings.push_back(&b);
      bindings.push_back(&yb);
      const MatvecShape shape{static_cast<uint32_t>(nb), static_cast<uint32_t>(rows), 0,
                              static_cast<uint32_t>(tokens), static_cast<uint32_t>(rows)};
      const Grid groups = matvec_grid(shape);
      std::vector<std::vector<float>> results;
      for (const std::string& variant : variants) {
        ComputePipeline matvec(*ctx, shader(variant), at == GgmlType::Q8_K ? 6 : 5, sizeof(shape));
        ctx->run_now(
            [&](VkCommandBuffer cb) { matvec.dispatch(cb, bindings, &shape, groups.x, groups.y); });
        results.emplace_back(static_cast<size_t>(rows) * tokens);
        download(*ctx, yb, 0, results.back().data(), results.back().size() * 4);
      }
      for (size_t v = 1; v < results.size(); ++v) EXPECT_EQ(results[v], results[0]) << variants[v];
      const std::vector<float>& y = results[0];

      for (int t = 0; t < tokens; ++t) {
        const uint8_t* act = a.cpu_rows[t].data();
        std::vector<float> af(n), rf(n);
        dequantize_row(at, act, af.data(), n);
        for (int r = 0; r < rows; ++r) {
          const uint8_t* wr = &w[r * row];
          dequantize_row(type, wr, rf.data(), n);
          double mag = 0.0;
          for (int i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(rf[i]) * af[i]);
          EXPECT_NEAR(y[t * rows + r], vec_dot_reference(type, n, wr, act), 1e-5 * mag + 1e-30)
              << "row " << r << " token " << t;
        }
      }
    }
  }
}

TEST(VulkanKernels, MatvecF16MatchesTheCpu) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  for (const auto& [n, rows, tokens] :
       {std::tuple{2, 1, 1}, {94, 37, 3}, {4096, 16, 2}, {64, 5, 17}}) {
    SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(rows) + " by " +
                 std::to_string(tokens));
    const std::vector<float> wf = activations(n, rows, 21);
    std::vector<uint16_t> w(wf.size());
    for (size_t i = 0; i < w.size(); ++i) w[i] = fp32_to_fp16(wf[i]);
    const std::vector<float> x = activations(n, tokens, 22);
    const DeviceMatrix dm = to_device_layout(GgmlType::F16, reinterpret_cast<uint8_t*>(w.data()),
                                             static_cast<size_t>(n) * 2, rows, n);
    std::vector<float> words(dm.quants.size());
    std::memcpy(words.data(), dm.quants.data(), words.size() * 4);
    const MatvecShape shape{static_cast<uint32_t>(n), static_cast<uint32_t>(rows), 0,
                            static_cast<uint32_t>(tokens), static_cast<uint32_t>(rows)};
    const std::vector<float> y =
        run_shader(*ctx, "matvec_f16", {words, x, std::vector<float>(rows * tokens)}, shape,
                   matvec_grid(shape).x, matvec_grid(shape).y)[2];
    for (int t = 0; t < tokens; ++t) {
      std::vector<uint16_t> xh(n);
      for (int i = 0; i < n; ++i) xh[i] = fp32_to_fp16(x[t * n + i]);
      for (int r = 0; r < rows; ++r) {
        double mag = 0.0;
        for (int i = 0; i < n; ++i) {
          mag += std::fabs(static_cast<double>(fp16_to_fp32(w[r * n + i])) * fp16_to_fp32(xh[i]));
        }
        EXPECT_NEAR(y[t * rows + r],
                    vec_dot_reference(GgmlType::F16, n, &w[static_cast<size_t>(r) * n], xh.data()),
                    1e-5 * mag + 1e-30)
            << "row " << r << " token " << t;
      }
    }
  }
}

// The one-dimensional shaders take their index from a grid spread over y (grid.glsl): every
// element once and none past the end, however the grid is split.
TEST(VulkanKernels, SpreadGridsCoverEveryElementOnce) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const int n = 1000;  // four workgroups of 256, the last one part empty
  // The buffers run on past n, up to the end of the grid's largest split, so that a write past
  // the end would show.
  const int past = 2 * 4 * 256;
  std::vector<float> x(past), y(past);
  for (int i = 0; i < past; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = 0.5f * static_cast<float>(i) + 1.0f;
  }
  for (uint32_t max_x : {1u, 3u, 4u, ctx->info().max_groups_x}) {
    SCOPED_TRACE("at most " + std::to_string(max_x) + " workgroups along x");
    const Grid g = spread(n, 256, max_x);
    EXPECT_LE(g.x, max_x);
    EXPECT_GE(static_cast<int64_t>(g.x) * g.y * 256, n);
    EXPECT_LT(static_cast<int64_t>(g.x) * (g.y - 1) * 256, n);
    const std::vector<float> sum =
        run_shader(*ctx, "add", {x, y}, static_cast<uint32_t>(n), g.x, g.y)[0];
    for (int i = 0; i < past; ++i) ASSERT_EQ(sum[i], i < n ? x[i] + y[i] : x[i]) << "element " << i;
  }
}

TEST(VulkanKernels, RmsNormSiluMulAndRopeMatchTheCpu) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  for (int n : {37, 4096}) {
    SCOPED_TRACE("rms_norm n=" + std::to_string(n));
    const int rows = 3;
    const std::vector<float> x = activations(n, rows, 31);
    const std::vector<float> w = activations(n, 1, 32);
    std::vector<float> want(x.size());
    rms_norm(x.data(), w.data(), want.data(), rows, n, 1e-5f);
    const struct {
      uint32_t n;
      float eps;
    } push{static_cast<uint32_t>(n), 1e-5f};
    const auto got = run_shader(*ctx, "rms_norm", {x, w, std::vector<float>(x.size())}, push,
                                static_cast<uint32_t>(rows));
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(got[2][i], want[i], 1e-5f * std::fabs(want[i]) + 1e-30f) << i;
    }
  }
  {
    const std::vector<float> gate = activations(1000, 1, 33), up = activations(1000, 1, 34);
    std::vector<float> want = gate;
    silu_mul(want.data(), up.data(), 1000);
    const uint32_t n = 1000;
    const auto got = run_shader(*ctx, "silu_mul", {gate, up}, n, (n + 255) / 256);
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[0][i], want[i], 1e-5f * std::fabs(want[i]) + 1e-30f) << "silu_mul " << i;
    }
  }
  for (int rope_dim : {64, 128}) {
    SCOPED_TRACE("rope_dim " + std::to_string(rope_dim));
    const int heads = 4, head_dim = 128;
    const std::vector<int32_t> positions = {0, 7, 4095};
    const int tokens = static_cast<int>(positions.size());
    const std::vector<float> x = activations(heads * head_dim, tokens, 35);
    std::vector<float> want = x, cos_sin(static_cast<size_t>(tokens) * rope_dim);
    for (int t = 0; t < tokens; ++t) {
      rope_angles(rope_dim, positions[t], 1e6f, &cos_sin[t * rope_dim]);
      rope(&want[t * heads * head_dim], heads, head_dim, rope_dim, &cos_sin[t * rope_dim]);
    }
    const uint32_t push[4] = {static_cast<uint32_t>(tokens), heads, head_dim,
                              static_cast<uint32_t>(rope_dim)};
    const uint32_t pairs = static_cast<uint32_t>(tokens * heads * rope_dim / 2);
    const auto got = run_shader(*ctx, "rope", {x, cos_sin}, push, (pairs + 63) / 64);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(got[0][i], want[i], 1e-6f * (std::fabs(x[i]) + 1.0f)) << "rope " << i;
    }
  }
}

// Attention over a paged cache two sequences share, against the CPU's attention(), with and
// without a sliding window. (On lavapipe they agree to 1e-5; the bound leaves a GPU room to round
// a softmax weight to the other neighbouring F16, packHalf2x16's rounding being its own.)
TEST(VulkanKernels, AttentionOverThePagedCacheMatchesTheCpu) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  ModelConfig c;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 64;
  c.dim = c.n_heads * c.head_dim;
  KvCache cache(8, 16);
  CpuKvStorage storage(c, 8, 16);
  // Interleaved reservations, so the sequences' blocks are not contiguous.
  ASSERT_TRUE(cache.reserve(0, 16));
  ASSERT_TRUE(cache.reserve(1, 20));
  ASSERT_TRUE(cache.reserve(0, 40));
  std::mt19937 rng(41);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int32_t layer = 1;
  // The same halves in the CPU's storage and, laid out [layer][block][slot][kv_dim] as the GPU's
  // cache has them, in keys and values.
  const size_t entries_per_cache =
      static_cast<size_t>(c.n_layers) * cache.n_blocks() * cache.block_size() * c.kv_dim();
  std::vector<uint16_t> gpu_keys(entries_per_cache), gpu_values(entries_per_cache);
  for (auto [seq, n] : {std::pair{0, 40}, {1, 20}}) {
    for (int32_t p = 0; p < n; ++p) {
      const int32_t block = cache.block_table(seq)[p / 16];
      const size_t row =
          ((static_cast<size_t>(layer) * cache.n_blocks() + block) * cache.block_size() + p % 16) *
          c.kv_dim();
      for (int32_t h = 0; h < c.n_kv_heads; ++h) {
        uint16_t* k = storage.key(layer, block, p % 16, h);
        uint16_t* v = storage.value(layer, block, p % 16, h);
        for (int32_t i = 0; i < c.head_dim; ++i) {
          k[i] = gpu_keys[row + h * c.head_dim + i] = fp32_to_fp16(dist(rng));
          v[i] = gpu_values[row + h * c.head_dim + i] = fp32_to_fp16(dist(rng));
        }
      }
    }
  }
  const std::vector<std::pair<SeqId, int32_t>> entries = {{0, 39}, {0, 5}, {1, 19}};
  const int tokens = static_cast<int>(entries.size());
  const int max_blocks = 4, max_positions = 64;
  std::vector<int32_t> tables(tokens * max_blocks, 0), positions;
  for (int t = 0; t < tokens; ++t) {
    const std::vector<int32_t>& table = cache.block_table(entries[t].first);
    std::copy(table.begin(), table.end(), tables.begin() + t * max_blocks);
    positions.push_back(entries[t].second);
  }
  auto words = [&](const std::vector<uint16_t>& h) {
    std::vector<uint32_t> w(h.size() / 2);
    std::memcpy(w.data(), h.data(), h.size() * 2);
    return w;
  };
  const std::vector<uint32_t> keys = words(gpu_keys);
  const std::vector<uint32_t> values = words(gpu_values);
  const std::vector<float> q = activations(c.q_dim(), tokens, 42);

  for (int32_t window : {0, 8}) {
    SCOPED_TRACE("window " + std::to_string(window));
    auto device = [&](const auto& v) {
      Buffer b(*ctx, v.size() * 4, Buffer::Memory::device);
      upload(*ctx, b, 0, v.data(), v.size() * 4);
      return b;
    };
    const Buffer qb = device(q), kb = device(keys), vb = device(values), tb = device(tables),
                 pb = device(positions);
    const Buffer sb(*ctx, static_cast<size_t>(tokens) * c.n_heads * max_positions * 4,
                    Buffer::Memory::device);
    const Buffer ob(*ctx, q.size() * 4, Buffer::Memory::device);
    const uint32_t push[10] = {layer,
                               8,
                               16,
                               static_cast<uint32_t>(c.kv_dim()),
                               64,
                               4,
                               2,
                               max_blocks,
                               max_positions,
                               static_cast<uint32_t>(window)};
    ComputePipeline attention_shader(*ctx, shader("attention"), 7, sizeof(push));
    const Buffer* bindings[] = {&qb, &kb, &vb, &tb, &pb, &sb, &ob};
    ctx->run_now([&](VkCommandBuffer cb) {
      attention_shader.dispatch(cb, bindings, push, static_cast<uint32_t>(c.n_heads),
                                static_cast<uint32_t>(tokens));
    });
    std::vector<float> got(q.size());
    download(*ctx, ob, 0, got.data(), got.size() * 4);

    std::vector<float> want(q.size());
    AttentionScratch scratch;
    const int32_t group = c.n_heads / c.n_kv_heads;
    for (int t = 0; t < tokens; ++t) {
      for (int32_t kv = 0; kv < c.n_kv_heads; ++kv) {
        const size_t at = static_cast<size_t>(t) * c.q_dim() + kv * group * c.head_dim;
        attention(storage, cache.block_table(entries[t].first), layer, entries[t].second, window,
                  &q[at], group, kv, c.head_dim, &want[at], scratch);
      }
    }
    for (size_t i = 0; i < q.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-3f * (std::fabs(want[i]) + 1.0f)) << "element " << i;
    }
  }
}

TEST(VulkanKernels, AddAndKvStoreMatchTheCpu) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  {
    const std::vector<float> x = activations(1000, 1, 51), y = activations(1000, 1, 52);
    const uint32_t n = 1000;
    const auto got = run_shader(*ctx, "add", {x, y}, n, (n + 255) / 256);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(got[0][i], x[i] + y[i]) << "add " << i;
  }
  // Three tokens of two sequences into layer 1 of a cache of 2 layers, 6 blocks of 4 slots.
  const uint32_t layers = 2, n_blocks = 6, block_size = 4, kv_dim = 10, max_blocks = 3;
  const std::vector<int32_t> tables = {4, 1, 5, /**/ 4, 1, 5, /**/ 0, 2, 3};
  const std::vector<int32_t> positions = {9, 2, 7};
  const uint32_t tokens = 3;
  const std::vector<float> k = activations(kv_dim, tokens, 53), v = activations(kv_dim, tokens, 54);
  const size_t cache_words = layers * n_blocks * block_size * kv_dim / 2;
  std::vector<float> tables_f(tables.size()), positions_f(positions.size());
  std::memcpy(tables_f.data(), tables.data(), tables.size() * 4);
  std::memcpy(positions_f.data(), positions.data(), positions.size() * 4);  // ints as words
  const uint32_t push[6] = {1, n_blocks, block_size, kv_dim, max_blocks, tokens};
  const auto got = run_shader(*ctx, "kv_store",
                              {k, v, std::vector<float>(cache_words),
                               std::vector<float>(cache_words), tables_f, positions_f},
                              push, (tokens * kv_dim / 2 + 63) / 64);
  std::vector<uint16_t> keys(cache_words * 2), values(cache_words * 2);
  std::memcpy(keys.data(), got[2].data(), cache_words * 4);
  std::memcpy(values.data(), got[3].data(), cache_words * 4);
  size_t written = 0;
  for (uint32_t t = 0; t < tokens; ++t) {
    const uint32_t p = static_cast<uint32_t>(positions[t]);
    const uint32_t block = static_cast<uint32_t>(tables[t * max_blocks + p / block_size]);
    const size_t at = ((1 * n_blocks + block) * block_size + p % block_size) * kv_dim;
    for (uint32_t i = 0; i < kv_dim; ++i) {
      // Within one F16 step of the CPU's rounding (packHalf2x16 rounds its own way).
      EXPECT_LE(std::abs(keys[at + i] - fp32_to_fp16(k[t * kv_dim + i])), 1) << t << " " << i;
      EXPECT_LE(std::abs(values[at + i] - fp32_to_fp16(v[t * kv_dim + i])), 1) << t << " " << i;
      written += 2;
    }
  }
  size_t nonzero = 0;
  for (size_t i = 0; i < keys.size(); ++i) nonzero += (keys[i] != 0) + (values[i] != 0);
  EXPECT_LE(nonzero, written) << "wrote outside the tokens' slots";
}

TEST(VulkanLayout, RejectsWhatItCannotLayOut) {
  std::vector<uint8_t> rows(row_bytes(GgmlType::Q6_K, 256));
  EXPECT_THROW(to_device_layout(GgmlType::BF16, rows.data(), rows.size(), 1, 256),
               std::invalid_argument);
  EXPECT_THROW(to_device_layout(GgmlType::F16, rows.data(), rows.size(), 1, 3),
               std::invalid_argument);
  EXPECT_THROW(to_device_layout(GgmlType::Q8_0, rows.data(), rows.size(), 1, 48),
               std::invalid_argument);
}

TEST(VulkanKernels, BufferPastTheBindingLimitIsRefusedByName) {
  std::unique_ptr<Context> ctx = first_device();
  if (!ctx) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const uint64_t limit = ctx->info().max_storage_buffer_range;
  if (limit >= ctx->info().max_allocation_bytes || limit > (uint64_t{1} << 30)) {
    GTEST_SKIP() << "this device binds whole allocations of up to " << limit << " bytes";
  }
  const Buffer big(*ctx, limit + 4, Buffer::Memory::device);
  const Buffer small(*ctx, 1024, Buffer::Memory::device);
  ComputePipeline add(*ctx, shader("add"), 2, sizeof(uint32_t));
  const uint32_t n = 1;
  const Buffer* bindings[] = {&big, &small};
  try {
    ctx->run_now([&](VkCommandBuffer cb) { add.dispatch(cb, bindings, &n, 1); });
    FAIL() << "bound a buffer past maxStorageBufferRange";
  } catch (const VulkanError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("binding 0"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(limit)), std::string::npos) << what;
  }
}

TEST(VulkanKernels, UnknownShaderIsNamed) {
  EXPECT_THROW(shader("no_such_shader"), std::invalid_argument);
}

}  // namespace
}  // namespace engine::vulkan
