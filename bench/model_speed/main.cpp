// mistral-model-bench: how fast the engine runs a model on --device (cpu, vulkan[:N]), and on the
// CPU how fast this machine reads memory, as JSON on stdout (bench/model_speed.sh runs it
// alternately with llama.cpp).
//
//   prefill   one sequence's prompt of --prompt-tokens in one forward pass
//   decode    that sequence, --decode-tokens more steps of one token each (greedy)
//   batched   --batch sequences with 16-token prompts, then --batch-steps steps of one token each
//             for all of them at once: aggregate tokens/s
//   stream    on the CPU, a STREAM-like read loop (sum of a 1 GiB buffer on every thread): GB/s
//
// Prompts are token ids 3 + (1000003 * s + 7919 * i) % (n_vocab - 3) for token i of sequence s,
// as bench/llama_model_peer.mjs uses, so both engines see the same tokens.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cpu/huge_page_buffer.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "tensor/quants.h"

namespace {

using engine::BatchEntry;
using engine::TokenId;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

TokenId prompt_token(int64_t seq, int64_t i, int32_t n_vocab) {
  return static_cast<TokenId>(3 + (1000003 * seq + 7919 * i) % (n_vocab - 3));
}

TokenId argmax(const float* logits, int32_t n) {
  return static_cast<TokenId>(std::max_element(logits, logits + n) - logits);
}

// Best of `passes` reads of a 1 GiB buffer split over `threads` threads, in GB/s.
double read_bandwidth(int threads, int passes) {
  const size_t bytes = size_t{1} << 30;
  engine::HugePageBuffer buf(bytes, "the read loop");
  std::memset(buf.data(), 1, bytes);
  const auto* words = reinterpret_cast<const uint64_t*>(buf.data());
  const size_t n = bytes / sizeof(uint64_t);
  double best = 0.0;
  for (int p = 0; p < passes; ++p) {
    std::vector<std::thread> pool;
    std::atomic<uint64_t> total{0};
    const auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const size_t begin = n * t / threads, end = n * (t + 1) / threads;
        // Eight independent sums so the loop is bound by loads, not by one add chain.
        uint64_t s[8] = {};
        for (size_t i = begin; i + 8 <= end; i += 8) {
          for (int k = 0; k < 8; ++k) s[k] += words[i + k];
        }
        uint64_t sum = 0;
        for (uint64_t v : s) sum += v;
        total.fetch_add(sum);
      });
    }
    for (std::thread& t : pool) t.join();
    const double secs = seconds_since(t0);
    if (total.load() == 0) std::fprintf(stderr, "impossible sum\n");  // keeps the loop alive
    best = std::max(best, static_cast<double>(bytes) / secs / 1e9);
  }
  return best;
}

struct Options {
  std::string model;
  std::string device = "cpu";
  int threads = 2;
  int prompt_tokens = 512;
  int decode_tokens = 32;
  int batch = 16;
  int batch_steps = 16;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--model") {
      o.model = value();
    } else if (a == "--device") {
      o.device = value();
    } else if (a == "--threads") {
      o.threads = std::stoi(value());
    } else if (a == "--prompt-tokens") {
      o.prompt_tokens = std::stoi(value());
    } else if (a == "--decode-tokens") {
      o.decode_tokens = std::stoi(value());
    } else if (a == "--batch") {
      o.batch = std::stoi(value());
    } else if (a == "--batch-steps") {
      o.batch_steps = std::stoi(value());
    } else {
      throw std::invalid_argument(
          "unknown option " + a +
          " (--model F --device D --threads N --prompt-tokens N --decode-tokens N "
          "--batch N --batch-steps N)");
    }
  }
  if (o.model.empty()) throw std::invalid_argument("--model is required");
  if (o.threads < 1 || o.prompt_tokens < 1 || o.decode_tokens < 1 || o.batch < 1 ||
      o.batch_steps < 1) {
    throw std::invalid_argument("every count must be at least 1");
  }
  return o;
}

// Bytes of the matrices a forward pass multiplies by, each read once per decode step.
double matrix_bytes(const engine::ModelWeights& w) {
  double bytes = static_cast<double>(w.output.row_stride) * w.output.rows;
  for (const engine::LayerWeights& L : w.layers) {
    for (const engine::WeightMatrix* m :
         {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      bytes += static_cast<double>(m->row_stride) * m->rows;
    }
  }
  return bytes;
}

int run(const Options& o) {
  const engine::DeviceChoice device = engine::DeviceChoice::parse(o.device);
  const bool cpu = device.kind == engine::DeviceChoice::Kind::cpu;
  const double stream_gbs = cpu ? read_bandwidth(o.threads, 3) : 0.0;
  engine::Model model(o.model, o.threads, device);
  const engine::ModelConfig& c = model.config();
  const int32_t seq_len = std::max(o.prompt_tokens + o.decode_tokens, 16 + o.batch_steps) + 1;
  engine::KvCache cache = model.new_kv_cache(o.batch * ((seq_len + 15) / 16) + 1, 16);

  // Prefill, then decode, of sequence 0.
  std::vector<BatchEntry> prompt;
  for (int i = 0; i < o.prompt_tokens; ++i) {
    prompt.push_back({0, i, prompt_token(0, i, c.n_vocab), i + 1 == o.prompt_tokens});
  }
  if (!cache.reserve(0, o.prompt_tokens + o.decode_tokens)) throw std::runtime_error("KV cache");
  auto t0 = Clock::now();
  std::vector<float> logits = model.forward(prompt, cache);
  const double prefill_s = seconds_since(t0);
  TokenId next = argmax(logits.data(), c.n_vocab);
  t0 = Clock::now();
  for (int i = 0; i < o.decode_tokens; ++i) {
    const BatchEntry e{0, o.prompt_tokens + i, next, true};
    logits = model.forward({&e, 1}, cache);
    next = argmax(logits.data(), c.n_vocab);
  }
  const double decode_s = seconds_since(t0);
  cache.release(0);

  // Batched: every sequence's 16-token prompt in one pass (not timed), then steps of all.
  std::vector<BatchEntry> batch;
  for (int s = 0; s < o.batch; ++s) {
    if (!cache.reserve(s, 16 + o.batch_steps)) throw std::runtime_error("KV cache");
    for (int i = 0; i < 16; ++i) batch.push_back({s, i, prompt_token(s, i, c.n_vocab), i == 15});
  }
  logits = model.forward(batch, cache);
  std::vector<TokenId> tokens(o.batch);
  for (int s = 0; s < o.batch; ++s) tokens[s] = argmax(&logits[size_t(s) * c.n_vocab], c.n_vocab);
  t0 = Clock::now();
  for (int step = 0; step < o.batch_steps; ++step) {
    batch.clear();
    for (int s = 0; s < o.batch; ++s) batch.push_back({s, 16 + step, tokens[s], true});
    logits = model.forward(batch, cache);
    for (int s = 0; s < o.batch; ++s) {
      tokens[s] = argmax(&logits[size_t(s) * c.n_vocab], c.n_vocab);
    }
  }
  const double batched_s = seconds_since(t0);

  const double weight_bytes = matrix_bytes(model.weights());
  const double decode_tps = o.decode_tokens / decode_s;
  nlohmann::json out = {{"engine", "mistral-engine"},
                        {"device", model.backend().describe()},
                        {"simd", engine::simd_level()},
                        {"threads", o.threads},
                        {"weight_bytes", weight_bytes},
                        {"prompt_tokens", o.prompt_tokens},
                        {"prefill_tokens_per_second", o.prompt_tokens / prefill_s},
                        {"decode_tokens_per_second", decode_tps},
                        {"decode_gb_per_s", decode_tps * weight_bytes / 1e9},
                        {"batch", o.batch},
                        {"batched_tokens_per_second", o.batch * o.batch_steps / batched_s}};
  if (cpu) out["stream_gb_per_s"] = stream_gbs;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mistral-model-bench: %s\n", e.what());
    return 1;
  }
}
