#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "model/model.h"
#include "small_model.h"
#include "synth/synth_model.h"
#include "tensor/interleaved_rows.h"
#include "tensor/quants.h"

using namespace engine;
using test_support::synth;
using test_support::tiny;

namespace {

// Logits of one sequence fed token by token or all at once, from a fresh cache.
std::vector<float> run_sequence(Model& m, const std::vector<TokenId>& tokens, int32_t chunk) {
  KvCache cache = m.new_kv_cache(64);
  EXPECT_TRUE(cache.reserve(0, static_cast<int32_t>(tokens.size())));
  std::vector<float> all;
  for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
    std::vector<BatchEntry> batch;
    for (size_t p = begin; p < std::min(tokens.size(), begin + chunk); ++p) {
      batch.push_back({0, static_cast<int32_t>(p), tokens[p], true});
    }
    const std::vector<float> l = m.forward(batch, cache);
    all.insert(all.end(), l.begin(), l.end());
  }
  return all;
}

std::vector<float> dequantized(const WeightMatrix& w) {
  std::vector<float> out(w.rows * w.cols);
  for (int64_t r = 0; r < w.rows; ++r) dequantize_row(w.type, w.row(r), &out[r * w.cols], w.cols);
  return out;
}

// A deliberately plain forward pass in double precision over dequantized weights: every position
// attends to the last `window` positions (0 = all), for checking the engine's attention masking.
std::vector<float> reference_logits(const Model& m, const std::vector<TokenId>& tokens,
                                    int32_t window) {
  const ModelConfig& c = m.config();
  const ModelWeights& W = m.weights();
  const auto matvec = [](const std::vector<float>& w, int64_t rows, int64_t cols,
                         const std::vector<double>& x) {
    std::vector<double> y(rows, 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < cols; ++i) y[r] += static_cast<double>(w[r * cols + i]) * x[i];
    }
    return y;
  };
  const auto norm = [&](const std::vector<double>& x, const std::vector<float>& w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double s = 1.0 / std::sqrt(ss / x.size() + c.rms_eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w[i];
    return y;
  };
  const auto rope = [&](std::vector<double>& v, int32_t heads, int32_t pos) {
    for (int32_t h = 0; h < heads; ++h) {
      for (int32_t i = 0; i < c.rope_dim; i += 2) {
        const double ang =
            pos * std::pow(static_cast<double>(c.rope_theta), -double(i) / c.rope_dim);
        double& a = v[h * c.head_dim + i];
        double& b = v[h * c.head_dim + i + 1];
        const double a0 = a, b0 = b;
        a = a0 * std::cos(ang) - b0 * std::sin(ang);
        b = a0 * std::sin(ang) + b0 * std::cos(ang);
      }
    }
  };
  const std::vector<float> embd = dequantized(W.token_embd), out_w = dequantized(W.output);
  std::vector<std::vector<double>> xs;
  for (TokenId t : tokens)
    xs.emplace_back(embd.begin() + t * c.dim, embd.begin() + (t + 1) * c.dim);
  for (const LayerWeights& L : W.layers) {
    const auto wq = dequantized(L.wq), wk = dequantized(L.wk), wv = dequantized(L.wv),
               wo = dequantized(L.wo), wg = dequantized(L.w_gate), wu = dequantized(L.w_up),
               wd = dequantized(L.w_down);
    std::vector<std::vector<double>> ks, vs, qs;
    for (size_t p = 0; p < xs.size(); ++p) {
      const auto h = norm(xs[p], L.attn_norm);
      qs.push_back(matvec(wq, c.q_dim(), c.dim, h));
      ks.push_back(matvec(wk, c.kv_dim(), c.dim, h));
      vs.push_back(matvec(wv, c.kv_dim(), c.dim, h));
      rope(qs.back(), c.n_heads, static_cast<int32_t>(p));
      rope(ks.back(), c.n_kv_heads, static_cast<int32_t>(p));
    }
    for (size_t p = 0; p < xs.size(); ++p) {
      std::vector<double> att(c.q_dim(), 0.0);
      const size_t first = window > 0 && p + 1 > size_t(window) ? p + 1 - window : 0;
      for (int32_t h = 0; h < c.n_heads; ++h) {
        const int32_t kvh = h / (c.n_heads / c.n_kv_heads);
        std::vector<double> s;
        for (size_t j = first; j <= p; ++j) {
          double d = 0;
          for (int32_t i = 0; i < c.head_dim; ++i) {
            d += qs[p][h * c.head_dim + i] * ks[j][kvh * c.head_dim + i];
          }
          s.push_back(d / std::sqrt(double(c.head_dim)));
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& v : s) sum += (v = std::exp(v - mx));
        for (size_t j = first; j <= p; ++j) {
          for (int32_t i = 0; i < c.head_dim; ++i) {
            att[h * c.head_dim + i] += s[j - first] / sum * vs[j][kvh * c.head_dim + i];
          }
        }
      }
      const auto o = matvec(wo, c.dim, c.q_dim(), att);
      for (int32_t i = 0; i < c.dim; ++i) xs[p][i] += o[i];
      const auto h = norm(xs[p], L.ffn_norm);
      auto g = matvec(wg, c.ff_dim, c.dim, h);
      const auto u = matvec(wu, c.ff_dim, c.dim, h);
      for (int32_t i = 0; i < c.ff_dim; ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      const auto d = matvec(wd, c.dim, c.ff_dim, g);
      for (int32_t i = 0; i < c.dim; ++i) xs[p][i] += d[i];
    }
  }
  std::vector<float> logits;
  for (const auto& x : xs) {
    for (double v : matvec(out_w, c.n_vocab, c.dim, norm(x, W.output_norm)))
      logits.push_back(float(v));
  }
  return logits;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b, size_t from) {
  double d = 0;
  for (size_t i = from; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - b[i]));
  return d;
}

}  // namespace

TEST(Model, LoadsSyntheticFileWithLlamaCppQuantMix) {
  SynthOptions o = tiny(SynthFileType::Q4_K_M);
  o.n_layers = 8;
  Model m(synth("mix", o), 2);
  EXPECT_EQ(m.config().dim, 256);
  EXPECT_EQ(m.config().n_layers, 8);
  EXPECT_EQ(m.config().n_kv_heads, 2);
  EXPECT_EQ(m.config().n_vocab, 320);
  EXPECT_EQ(m.config().rope_theta, 1e6f);
  EXPECT_EQ(m.config().sliding_window, 0);
  const ModelWeights& w = m.weights();
  EXPECT_EQ(w.output.type, GgmlType::Q6_K);
  EXPECT_EQ(w.token_embd.type, GgmlType::Q4_K);
  EXPECT_EQ(w.layers[0].wq.type, GgmlType::Q4_K);
  // llama.cpp gives attn_v/ffn_down 6 bits in the first and last eighth and every third between.
  EXPECT_EQ(w.layers[0].wv.type, GgmlType::Q6_K);
  EXPECT_EQ(w.layers[1].wv.type, GgmlType::Q4_K);
  EXPECT_EQ(w.layers[3].w_down.type, GgmlType::Q6_K);
  EXPECT_EQ(w.layers[7].w_down.type, GgmlType::Q6_K);
  // Where the CPU has group kernels the matrices were rearranged at load, and their rows are no
  // longer there to hand out; the embeddings, read a row per token, stay as the file has them.
  EXPECT_EQ(w.token_embd.group_stride, 0u);
  EXPECT_NO_THROW(w.token_embd.row(5));
  if (group_kernel(GgmlType::Q4_K) != nullptr) {
    EXPECT_EQ(w.layers[0].wq.group_stride, group_bytes(GgmlType::Q4_K, w.layers[0].wq.cols));
    EXPECT_THROW(w.layers[0].wq.row(0), std::logic_error);
  } else {
    EXPECT_EQ(w.layers[0].wq.group_stride, 0u);
  }
}

TEST(Model, SlidingWindowMatchesNaiveReference) {
  SynthOptions o = tiny(SynthFileType::F32);
  o.mistral_version = "v0.1";
  o.sliding_window = 8;
  Model m(synth("swa", o), 2);
  ASSERT_EQ(m.config().sliding_window, 8);
  std::vector<TokenId> tokens;
  for (int i = 0; i < 24; ++i) tokens.push_back(1 + (i * 37) % 300);

  const std::vector<float> ours = run_sequence(m, tokens, 24);
  const std::vector<float> windowed = reference_logits(m, tokens, 8);
  const std::vector<float> full = reference_logits(m, tokens, 0);
  const size_t after_window = size_t(8) * m.config().n_vocab;
  // F16 keys/values bound the agreement; masking errors are orders of magnitude larger.
  const double tol = 0.05;
  EXPECT_LT(max_abs_diff(ours, windowed, 0), tol);
  EXPECT_GT(max_abs_diff(ours, full, after_window), 20 * tol)
      << "positions past the window must differ from full attention";
  const std::vector<float> ours_head(ours.begin(), ours.begin() + after_window);
  EXPECT_LT(max_abs_diff(ours_head, full, 0), tol) << "within the window nothing is masked";
}

TEST(Model, FullAttentionMatchesNaiveReference) {
  Model m(synth("full", tiny(SynthFileType::F32)), 2);
  std::vector<TokenId> tokens;
  for (int i = 0; i < 20; ++i) tokens.push_back(3 + (i * 91) % 310);
  EXPECT_LT(max_abs_diff(run_sequence(m, tokens, 20), reference_logits(m, tokens, 0), 0), 0.05);
}

TEST(Model, ChunkedPrefillEqualsOneShotBitForBit) {
  Model m(synth("chunks", tiny(SynthFileType::Q4_K_M)), 2);
  std::vector<TokenId> tokens;
  for (int i = 0; i < 33; ++i) tokens.push_back(1 + (i * 13) % 310);
  const auto one_shot = run_sequence(m, tokens, 33);
  EXPECT_EQ(run_sequence(m, tokens, 1), one_shot);
  EXPECT_EQ(run_sequence(m, tokens, 7), one_shot);
}

// A sequence's logits do not depend on what else is in the batch.
TEST(Model, BatchCompositionDoesNotChangeResults) {
  Model m(synth("batch", tiny(SynthFileType::Q8_0)), 2);
  const std::vector<TokenId> a = {1, 50, 60, 70, 80, 90};
  const auto alone = run_sequence(m, a, 6);

  KvCache cache = m.new_kv_cache(64);
  for (SeqId s = 0; s < 4; ++s) ASSERT_TRUE(cache.reserve(s, 16));
  std::vector<BatchEntry> batch;
  for (SeqId s = 1; s < 4; ++s) {
    for (int32_t p = 0; p < 3 + s; ++p) batch.push_back({s, p, 100 + s * 10 + p, p % 2 == 0});
  }
  std::vector<size_t> where;
  size_t n_logits = 0;
  for (const BatchEntry& e : batch) n_logits += e.want_logits;
  for (int32_t p = 0; p < 6; ++p) {
    batch.insert(batch.begin() + p * 2, {0, p, a[p], true});
  }
  const std::vector<float> mixed = m.forward(batch, cache);
  std::vector<float> ours;
  size_t k = 0;
  for (const BatchEntry& e : batch) {
    if (!e.want_logits) continue;
    if (e.seq == 0) {
      ours.insert(ours.end(), mixed.begin() + k * m.config().n_vocab,
                  mixed.begin() + (k + 1) * m.config().n_vocab);
    }
    ++k;
  }
  EXPECT_EQ(k, n_logits + 6);
  EXPECT_EQ(ours, alone);
}

TEST(Model, ShapeThatDoesNotFitTheModelIsNamed) {
  const std::string good = synth("good", tiny(SynthFileType::F16));
  const GgufFile src = GgufFile::open(good);
  // Rewrite the file claiming a larger feed-forward size than the tensors have.
  GgufWriter w;
  for (const auto& [key, value] : src.metadata()) {
    if (key == "general.alignment") continue;
    w.add_metadata(key, key == "llama.feed_forward_length" ? GgufValue::u32(1024) : value);
  }
  for (const GgufTensorInfo& t : src.tensors()) w.add_tensor(t.name, t.shape, t.type);
  const std::string bad = testing::TempDir() + "/bad_shape.gguf";
  w.write(bad, [&](size_t i, std::span<uint8_t> out) {
    std::copy_n(src.tensors()[i].data, out.size(), out.begin());
  });
  try {
    Model m(bad, 1);
    FAIL() << "loaded a model whose tensors do not fit its metadata";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'blk.0.ffn_gate.weight' has shape [256, 512] but "
                                         "the model's metadata needs [256, 1024]"),
              std::string::npos)
        << e.what();
  }
}

// A model's cache of no blocks is refused before its backend takes memory for it.
TEST(Model, KvCacheOfNoBlocksIsRefused) {
  Model m(synth("noblocks", tiny(SynthFileType::Q8_0)), 1);
  for (int32_t blocks : {0, -1}) {
    try {
      m.new_kv_cache(blocks);
      ADD_FAILURE() << blocks << " blocks were taken";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "KV cache needs blocks");
    }
  }
}

TEST(Model, KvCacheReusesFreedBlocksAndRefusesOverflow) {
  KvCache cache(4, 16);
  EXPECT_TRUE(cache.reserve(0, 40));  // 3 blocks
  EXPECT_EQ(cache.free_blocks(), 1);
  EXPECT_FALSE(cache.reserve(1, 20));  // needs 2
  EXPECT_EQ(cache.free_blocks(), 1);
  EXPECT_EQ(cache.capacity(1), 0);
  cache.release(0);
  EXPECT_EQ(cache.free_blocks(), 4);
  EXPECT_TRUE(cache.reserve(1, 64));
  EXPECT_EQ(cache.capacity(1), 64);
}
