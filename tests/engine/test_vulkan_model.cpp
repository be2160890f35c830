// The whole forward pass on a Vulkan device (lavapipe in CI) against the CPU backend on tiny
// synthetic models of every quant type: the same greedy tokens, logits within rounding, batches
// that do not change a sequence's tokens, and clear errors for a missing device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "pull_test_process.h"
#include "small_model.h"
#include "vulkan/vulkan_backend.h"
#include "vulkan/vulkan_context.h"

using namespace engine;
using test_support::synth;
using test_support::tiny;

namespace {

std::optional<uint32_t> compute_device() {
  for (const vulkan::DeviceInfo& d : vulkan::list_devices()) {
    if (d.has_compute_queue) return d.index;
  }
  return std::nullopt;
}

int32_t argmax(const float* logits, int32_t n) {
  return static_cast<int32_t>(std::max_element(logits, logits + n) - logits);
}

struct Steps {
  std::vector<std::vector<TokenId>> tokens;  // per sequence, the token chosen at each step
  std::vector<std::vector<float>> logits;    // per step, every sequence's logits
};

// Greedy continuations of several prompts, all sequences in every step's batch (the prompts in
// one step together, then one token each per step). With `follow`, the tokens fed back are
// follow's instead of this model's own choices.
Steps greedy(Model& m, const std::vector<std::vector<TokenId>>& prompts, int steps,
             const Steps* follow = nullptr) {
  const int32_t n_vocab = m.config().n_vocab;
  KvCache cache = m.new_kv_cache(64);
  Steps out;
  out.tokens.resize(prompts.size());
  std::vector<BatchEntry> batch;
  for (size_t s = 0; s < prompts.size(); ++s) {
    const auto seq = static_cast<SeqId>(s);
    EXPECT_TRUE(cache.reserve(seq, static_cast<int32_t>(prompts[s].size()) + steps));
    for (size_t p = 0; p < prompts[s].size(); ++p) {
      batch.push_back({seq, static_cast<int32_t>(p), prompts[s][p], p + 1 == prompts[s].size()});
    }
  }
  out.logits.push_back(m.forward(batch, cache));
  for (int step = 0; step < steps; ++step) {
    batch.clear();
    for (size_t s = 0; s < prompts.size(); ++s) {
      out.tokens[s].push_back(argmax(&out.logits.back()[s * n_vocab], n_vocab));
      const TokenId next = follow ? follow->tokens[s][step] : out.tokens[s].back();
      batch.push_back(
          {static_cast<SeqId>(s), static_cast<int32_t>(prompts[s].size()) + step, next, true});
    }
    out.logits.push_back(m.forward(batch, cache));
  }
  return out;
}

const std::vector<std::vector<TokenId>> kPrompts = {
    {1, 300, 301, 302, 303, 304}, {1, 310}, {1, 305, 299, 280, 270, 260, 250, 290, 315}};

}  // namespace

class VulkanModel : public testing::TestWithParam<SynthFileType> {};

// Greedy tokens of three sequences batched together equal the CPU backend's wherever the CPU's
// choice is not a near-tie, with the device fed the CPU's tokens so that one near-tie does not
// change the rest. Logits agree to float rounding (~1e-5 relative) until, now and then, one
// softmax weight lands on the neighbouring F16: both backends round them to F16 (as llama.cpp's
// CPU attention does) from exponentials computed differently. The next layers' 8-bit activations
// then round a few values the other way, and the logits move by up to ~2% of their largest.
TEST_P(VulkanModel, GreedyTokensEqualTheCpuBackends) {
  const std::optional<uint32_t> device = compute_device();
  if (!device) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const std::string path =
      synth("vulkan_model_" + std::to_string(static_cast<int>(GetParam())), tiny(GetParam()));
  Model cpu(path, 2);
  Model gpu(path, 1, DeviceChoice{DeviceChoice::Kind::vulkan, *device});
  EXPECT_NE(gpu.backend().describe().find("vulkan:"), std::string::npos);
  const int32_t n_vocab = cpu.config().n_vocab;
  const int steps = 16;
  const Steps want = greedy(cpu, kPrompts, steps);
  const Steps got = greedy(gpu, kPrompts, steps, &want);
  int checked = 0;
  for (size_t step = 0; step < want.logits.size(); ++step) {
    for (size_t s = 0; s < kPrompts.size(); ++s) {
      const float* w = &want.logits[step][s * n_vocab];
      const float* g = &got.logits[step][s * n_vocab];
      float scale = 0.0f, diff = 0.0f;
      for (int32_t i = 0; i < n_vocab; ++i) {
        scale = std::max(scale, std::fabs(w[i]));
        diff = std::max(diff, std::fabs(g[i] - w[i]));
      }
      EXPECT_LT(diff, 0.03f * (1.0f + scale)) << "sequence " << s << " step " << step;
      if (step == 0) continue;
      // The token chosen after the previous step, wherever the CPU's choice led by more than the
      // backends' differences could close (twice this step's largest, and at least 0.25).
      std::vector<float> prev(want.logits[step - 1].begin() + s * n_vocab,
                              want.logits[step - 1].begin() + (s + 1) * n_vocab);
      std::partial_sort(prev.begin(), prev.begin() + 2, prev.end(), std::greater<>());
      if (prev[0] - prev[1] < std::max(0.25f, 2.0f * diff)) continue;
      ++checked;
      EXPECT_EQ(got.tokens[s][step - 1], want.tokens[s][step - 1])
          << "sequence " << s << " step " << step - 1;
    }
  }
  EXPECT_GE(2 * checked, steps * static_cast<int>(kPrompts.size()));
}

// On the device as on the CPU, a sequence's tokens do not depend on its batch-mates.
TEST_P(VulkanModel, BatchedSequencesEqualEachAlone) {
  const std::optional<uint32_t> device = compute_device();
  if (!device) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const std::string path =
      synth("vulkan_batch_" + std::to_string(static_cast<int>(GetParam())), tiny(GetParam()));
  Model gpu(path, 1, DeviceChoice{DeviceChoice::Kind::vulkan, *device});
  const int32_t n_vocab = gpu.config().n_vocab;
  const Steps together = greedy(gpu, kPrompts, 8);
  for (size_t s = 0; s < kPrompts.size(); ++s) {
    const Steps alone = greedy(gpu, {kPrompts[s]}, 8);
    EXPECT_EQ(together.tokens[s], alone.tokens[0]) << "sequence " << s;
    for (size_t step = 0; step < alone.logits.size(); ++step) {
      const auto from = together.logits[step].begin() + s * n_vocab;
      EXPECT_TRUE(std::equal(from, from + n_vocab, alone.logits[step].begin()))
          << "sequence " << s << " step " << step;
    }
  }
}

std::string type_name(const testing::TestParamInfo<SynthFileType>& p) {
  static const char* const kNames[] = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K"};
  return kNames[static_cast<int>(p.param)];
}

INSTANTIATE_TEST_SUITE_P(EveryType, VulkanModel,
                         testing::Values(SynthFileType::F32, SynthFileType::F16,
                                         SynthFileType::Q8_0, SynthFileType::Q4_0,
                                         SynthFileType::Q4_K_M, SynthFileType::Q5_K_M,
                                         SynthFileType::Q6_K),
                         type_name);

// A matrix larger than one binding may cover is split over several: on lavapipe (128 MiB a
// binding) the 143 MB Q8_0 output matrix of a 32768-token, 4096-wide model, as in Mistral v0.3.
TEST(VulkanModelSplit, AMatrixLargerThanOneBindingIsSplitOverSeveral) {
  const std::optional<uint32_t> device = compute_device();
  if (!device) GTEST_SKIP() << "no Vulkan device with a compute queue";
  SynthOptions o = tiny(SynthFileType::Q8_0);
  o.dim = 4096;
  o.n_heads = 32;
  o.n_kv_heads = 8;
  o.n_layers = 1;
  o.ff_dim = 256;
  const std::string path = synth("vulkan_split", o, 32768);
  Model cpu(path, 2);
  const WeightMatrix& output = cpu.weights().output;
  const size_t output_bytes = output.row_stride * static_cast<size_t>(output.rows);
  if (output_bytes <= vulkan::list_devices()[*device].max_storage_buffer_range) {
    GTEST_SKIP() << "this device binds the whole output matrix at once";
  }
  Model gpu(path, 1, DeviceChoice{DeviceChoice::Kind::vulkan, *device});
  // One token: its attention has one position, whose softmax weight is exactly 1 on both.
  const std::vector<float> want = greedy(cpu, {{1}}, 0).logits[0];
  const std::vector<float> got = greedy(gpu, {{1}}, 0).logits[0];
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-4f * (std::fabs(want[i]) + 1.0f)) << "logit " << i;
  }
}

// A step of the same shape as the last (a decode step, mostly) runs the recorded commands again
// with its own inputs: its logits are, bit for bit, those of the same step recorded afresh.
TEST(VulkanModelReplay, ReplayedStepsGiveTheLogitsOfRecordedOnes) {
  const std::optional<uint32_t> device = compute_device();
  if (!device) GTEST_SKIP() << "no Vulkan device with a compute queue";
  const std::string path = synth("vulkan_replay", tiny(SynthFileType::Q4_K_M));
  Model gpu(path, 1, DeviceChoice{DeviceChoice::Kind::vulkan, *device});
  const auto& backend = dynamic_cast<const vulkan::VulkanBackend&>(gpu.backend());
  const int32_t n_vocab = gpu.config().n_vocab;
  const int32_t steps = 20;  // past position 16: a second block joins the table while replaying
  // Greedy decode of one sequence, its cache grown a position at a time. With `interleave`, two
  // one-entry steps of another cache come before each, the first wanting no logits: each step
  // then differs from the one before in its cache or in which entries want logits alone.
  auto decode = [&](bool interleave) {
    KvCache cache = gpu.new_kv_cache(8);
    KvCache other = gpu.new_kv_cache(8);
    EXPECT_TRUE(cache.reserve(0, 3));
    EXPECT_TRUE(other.reserve(0, 2 * steps));
    const std::vector<BatchEntry> prompt = {
        {0, 0, 1, false}, {0, 1, 300, false}, {0, 2, 301, true}};
    std::vector<std::vector<float>> logits = {gpu.forward(prompt, cache)};
    for (int32_t step = 0; step < steps; ++step) {
      if (interleave) {
        const BatchEntry quiet{0, 2 * step, 305, false}, loud{0, 2 * step + 1, 306, true};
        EXPECT_TRUE(gpu.forward(std::span(&quiet, 1), other).empty());
        EXPECT_EQ(gpu.forward(std::span(&loud, 1), other).size(), static_cast<size_t>(n_vocab));
      }
      EXPECT_TRUE(cache.reserve(0, 4 + step));
      const BatchEntry next{0, 3 + step, argmax(logits.back().data(), n_vocab), true};
      logits.push_back(gpu.forward(std::span(&next, 1), cache));
    }
    return logits;
  };
  // The first time, the step buffers grow (and the recording is dropped) as tables and positions
  // pass powers of two; then every decode step after the first runs the last one's commands.
  const std::vector<std::vector<float>> cold = decode(false);
  const int64_t before = backend.replayed_steps();
  const std::vector<std::vector<float>> replayed = decode(false);
  EXPECT_EQ(backend.replayed_steps() - before, steps - 1);
  const int64_t after = backend.replayed_steps();
  const std::vector<std::vector<float>> recorded = decode(true);
  EXPECT_EQ(backend.replayed_steps(), after);
  EXPECT_EQ(replayed, recorded);
  EXPECT_EQ(cold, recorded);
}

TEST(VulkanModelErrors, DeviceNamesAreCheckedAndAMissingDeviceIsAClearError) {
  EXPECT_EQ(DeviceChoice::parse("cpu").kind, DeviceChoice::Kind::cpu);
  EXPECT_EQ(DeviceChoice::parse("vulkan").index, 0u);
  EXPECT_EQ(DeviceChoice::parse("vulkan:3").index, 3u);
  EXPECT_EQ(DeviceChoice::parse("vulkan:3").name(), "vulkan:3");
  for (const char* bad : {"gpu", "vulkan:", "vulkan:x", "vulkan:-1", "cuda:0", ""}) {
    EXPECT_THROW(DeviceChoice::parse(bad), std::invalid_argument) << bad;
  }
  const std::string path = synth("vulkan_errors", tiny(SynthFileType::Q8_0));
  try {
    Model m(path, 1, DeviceChoice{DeviceChoice::Kind::vulkan, 99});
    ADD_FAILURE() << "device 99 opened";
  } catch (const vulkan::VulkanError& e) {
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
  }
  // A KV cache larger than the device's memory is refused before anything is allocated.
  if (const std::optional<uint32_t> device = compute_device()) {
    Model gpu(path, 1, DeviceChoice{DeviceChoice::Kind::vulkan, *device});
    try {
      gpu.new_kv_cache(1 << 24, 256);
      ADD_FAILURE() << "a KV cache of 2^32 positions fit";
    } catch (const vulkan::VulkanError& e) {
      EXPECT_NE(std::string(e.what()).find("of device memory"), std::string::npos) << e.what();
    }
    // One whose layers would each pass the largest buffer the device takes, as well.
    const vulkan::DeviceInfo info = vulkan::list_devices()[*device];
    const uint64_t most = std::min(info.max_storage_buffer_range, info.max_allocation_bytes);
    const uint64_t blocks = most / (16 * gpu.config().kv_dim() * 2) + 1;
    if (blocks * 16 * KvCache::bytes_per_token(gpu.config()) < info.device_local_bytes) {
      try {
        gpu.new_kv_cache(static_cast<int32_t>(blocks), 16);
        ADD_FAILURE() << "a KV cache of " << blocks << " blocks was made";
      } catch (const vulkan::VulkanError& e) {
        EXPECT_NE(std::string(e.what()).find("per layer"), std::string::npos) << e.what();
      }
    }
  }
  // The engine with a Vulkan loader that finds no driver: generate --device vulkan says so.
  const std::map<std::string, std::string> no_driver = {
      {"VK_ICD_FILENAMES", "/nonexistent/icd.json"}, {"VK_DRIVER_FILES", "/nonexistent/icd.json"}};
  const mf_test::ProcessResult r = mf_test::run_process(
      {MF_ENGINE_BIN, "generate", "--model", path, "--prompt", "hi", "--device", "vulkan"},
      no_driver);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no Vulkan device"), std::string::npos) << r.err;
  const mf_test::ProcessResult usage = mf_test::run_process(
      {MF_ENGINE_BIN, "generate", "--model", path, "--prompt", "hi", "--device", "gpu"}, {});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("cpu, vulkan or vulkan:N"), std::string::npos) << usage.err;
}
