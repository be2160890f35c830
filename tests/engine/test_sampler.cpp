// Sampler pipeline and streaming stop-string matching.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sampling/sampler.h"
#include "sampling/stop_strings.h"

namespace engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
  double max = -std::numeric_limits<double>::infinity();
  for (float l : logits) max = std::max(max, static_cast<double>(l));
  std::vector<double> p(logits.size());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i)
    sum += p[i] = std::exp((logits[i] - max) / temperature);
  for (double& x : p) x /= sum;
  return p;
}

// Logits whose softmax at temperature 1 is exactly `probs` (up to float rounding).
std::vector<float> logits_for(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::vector<float> random_logits(size_t n, uint64_t seed, float scale = 3.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> l(n);
  for (float& x : l) x = normal(rng);
  return l;
}

// Draws `n` tokens from fresh copies of `logits` (the sampler may modify them) and counts them.
std::vector<int> histogram(Sampler& s, const std::vector<float>& logits, int n) {
  std::vector<int> counts(logits.size(), 0);
  std::vector<float> work;
  for (int i = 0; i < n; ++i) {
    work = logits;
    const TokenId t = s.sample(work, {});
    EXPECT_GE(t, 0);
    EXPECT_LT(static_cast<size_t>(t), logits.size());
    ++counts[t];
  }
  return counts;
}

// Pearson chi-square of observed counts against expected probabilities; tokens with expected
// probability 0 must never be observed.
double chi_square(const std::vector<int>& counts, const std::vector<double>& probs, int n) {
  double chi2 = 0.0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (probs[i] == 0.0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0";
      continue;
    }
    const double expected = probs[i] * n;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

// 99.99th percentile of chi-square for small degrees of freedom (df 1..6). With fixed seeds
// these tests are deterministic; the bound says a correct sampler passes for ~all seeds, while
// a wrong distribution (off by a few percent at these sample sizes) gives chi2 in the hundreds.
double chi2_bound(size_t df) {
  static const double kBounds[] = {0, 15.14, 18.42, 21.11, 23.51, 25.74, 27.86};
  return kBounds[df];
}

SamplingParams seeded(uint64_t seed, float temperature = 1.0f) {
  SamplingParams p;
  p.seed = seed;
  p.temperature = temperature;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Greedy

TEST(SamplerGreedy, PicksArgmax) {
  SamplingParams p;
  p.temperature = 0.0f;
  Sampler s(p);
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.5f};
  EXPECT_EQ(s.sample(logits, {}), 1);
  logits = random_logits(32000, 7);
  const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
  EXPECT_EQ(s.sample(logits, {}), best);
}

TEST(SamplerGreedy, TiesGoToLowestId) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f, 3.0f};
  EXPECT_EQ(argmax(logits), 1);
  SamplingParams p;
  p.temperature = 0.0f;
  Sampler s(p);
  std::vector<float> work = logits;
  EXPECT_EQ(s.sample(work, {}), 1);
  // Negative temperature is treated as greedy too, as llama.cpp does.
  p.temperature = -1.0f;
  Sampler neg(p);
  work = logits;
  EXPECT_EQ(neg.sample(work, {}), 1);
}

TEST(SamplerGreedy, IgnoresNaNAndMaskedLogits) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(argmax(std::vector<float>{nan, -kInf, 0.5f, nan}), 2);
  EXPECT_EQ(argmax(std::vector<float>{-kInf, -kInf}), 0);
  // An overflowed +inf logit takes all the probability.
  Sampler inf(seeded(2));
  for (int i = 0; i < 20; ++i) {
    std::vector<float> logits = {0.0f, kInf, 1.0f, kInf};
    EXPECT_EQ(inf.sample(logits, {}), 1);
  }
  // Sampling with all but one token masked must return that token.
  Sampler s(seeded(1));
  for (int i = 0; i < 50; ++i) {
    std::vector<float> logits(100, -kInf);
    logits[37] = -5.0f;
    EXPECT_EQ(s.sample(logits, {}), 37);
  }
}

TEST(SamplerGreedy, TinyTemperatureIsGreedy) {
  Sampler s(seeded(3, 1e-39f));  // 1/T overflows float
  std::vector<float> logits = {0.0f, 1.0f, 0.999f};
  EXPECT_EQ(s.sample(logits, {}), 1);
}

// ---------------------------------------------------------------------------------------------
// Seeding

std::vector<TokenId> draw_sequence(const SamplingParams& params, const std::vector<float>& logits,
                                   int n) {
  Sampler s(params);
  std::vector<TokenId> out;
  std::vector<float> work;
  for (int i = 0; i < n; ++i) {
    work = logits;
    out.push_back(s.sample(work, {}));
  }
  return out;
}

TEST(SamplerSeed, SameSeedSameSequenceDifferentSeedsDiffer) {
  const std::vector<float> logits = random_logits(64, 11, 0.5f);  // fairly flat
  for (const bool filtered : {false, true}) {
    SamplingParams p = seeded(42, 0.8f);
    if (filtered) {
      p.top_k = 40;
      p.top_p = 0.95f;
      p.min_p = 0.05f;
    }
    const auto a = draw_sequence(p, logits, 200);
    const auto b = draw_sequence(p, logits, 200);
    EXPECT_EQ(a, b);
    // Not a constant sequence: the test would be vacuous otherwise.
    EXPECT_GT(std::set<TokenId>(a.begin(), a.end()).size(), 10u);
    p.seed = 43;
    const auto c = draw_sequence(p, logits, 200);
    EXPECT_NE(a, c);
    size_t same = 0;
    for (size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
    EXPECT_LT(same, 50u) << "different seeds should give mostly different draws";
  }
}

TEST(SamplerSeed, UnsetSeedStillSamples) {
  SamplingParams p;  // seed from std::random_device
  const auto a = draw_sequence(p, random_logits(64, 5, 0.5f), 200);
  EXPECT_GT(std::set<TokenId>(a.begin(), a.end()).size(), 10u);
}

// ---------------------------------------------------------------------------------------------
// Temperature

TEST(SamplerTemperature, FrequenciesMatchSoftmax) {
  const std::vector<float> logits = {1.0f, 0.5f, 0.0f, -0.5f, -1.0f, 2.0f};
  constexpr int kDraws = 200000;
  for (const float t : {0.5f, 1.0f, 2.0f}) {
    Sampler s(seeded(1234, t));
    const auto counts = histogram(s, logits, kDraws);
    const auto probs = softmax(logits, t);
    const double chi2 = chi_square(counts, probs, kDraws);
    EXPECT_LT(chi2, chi2_bound(logits.size() - 1)) << "T=" << t;
    // Per token: within 5 standard deviations of the binomial.
    for (size_t i = 0; i < logits.size(); ++i) {
      const double sd = std::sqrt(probs[i] * (1 - probs[i]) / kDraws);
      EXPECT_NEAR(counts[i] / double(kDraws), probs[i], 5 * sd + 1e-9) << "T=" << t << " i=" << i;
    }
  }
}

TEST(SamplerTemperature, FarBelowMaxAndMaskedTokensAreNeverDrawn) {
  // Weights far below e^-87 of the best underflow to exactly zero, as do masked (-inf) logits.
  const std::vector<float> logits = {-1000.0f, 0.0f, -100.0f, -kInf, -90.0f, -5.0f, -200.0f};
  Sampler s(seeded(10));
  constexpr int kDraws = 50000;
  const auto counts = histogram(s, logits, kDraws);
  const double p5 = std::exp(-5.0) / (1 + std::exp(-5.0));
  EXPECT_LT(chi_square(counts, {0, 1 - p5, 0, 0, 0, p5, 0}, kDraws), chi2_bound(1));
}

TEST(SamplerTemperature, LowTemperatureSharpensHighFlattens) {
  const std::vector<float> logits = {1.0f, 0.0f};
  constexpr int kDraws = 20000;
  Sampler cold(seeded(5, 0.25f)), hot(seeded(5, 4.0f));
  const double p_cold = histogram(cold, logits, kDraws)[0] / double(kDraws);
  const double p_hot = histogram(hot, logits, kDraws)[0] / double(kDraws);
  EXPECT_NEAR(p_cold, softmax(logits, 0.25)[0], 0.01);  // ~0.982
  EXPECT_NEAR(p_hot, softmax(logits, 4.0)[0], 0.02);    // ~0.562
}

// ---------------------------------------------------------------------------------------------
// Top-k

TEST(SamplerTopK, TopK1EqualsGreedy) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> logits = random_logits(32000, seed);
    if (seed % 2) logits[100] = logits[31000] = 50.0f;  // a tie at the top: lowest id wins
    const TokenId expected = argmax(logits);
    SamplingParams p = seeded(seed, 1.5f);
    p.top_k = 1;
    Sampler s(p);
    EXPECT_EQ(s.sample(logits, {}), expected);
  }
}

TEST(SamplerTopK, KeepsOnlyKHighestWithRenormalizedFrequencies) {
  const std::vector<double> probs = {0.1, 0.3, 0.05, 0.25, 0.2, 0.1};
  const auto logits = logits_for(probs);
  SamplingParams p = seeded(77);
  p.top_k = 3;  // tokens 1, 3, 4
  Sampler s(p);
  constexpr int kDraws = 100000;
  const auto counts = histogram(s, logits, kDraws);
  const std::vector<double> expected = {0, 0.3 / 0.75, 0, 0.25 / 0.75, 0.2 / 0.75, 0};
  EXPECT_LT(chi_square(counts, expected, kDraws), chi2_bound(2));
}

TEST(SamplerTopK, LargerThanVocabIsOff) {
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f};
  SamplingParams p = seeded(8);
  p.top_k = 10;
  Sampler s(p);
  const auto counts = histogram(s, logits, 30000);
  EXPECT_LT(chi_square(counts, {1 / 3.0, 1 / 3.0, 1 / 3.0}, 30000), chi2_bound(2));
}

// ---------------------------------------------------------------------------------------------
// Top-p

TEST(SamplerTopP, SmallPKeepsOnlyTopToken) {
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const std::vector<float> logits = random_logits(32000, seed + 100, 1.0f);
    SamplingParams p = seeded(seed);
    p.top_p = 1e-6f;
    Sampler s(p);
    std::vector<float> work = logits;
    EXPECT_EQ(s.sample(work, {}), argmax(logits));
  }
  // p == 0 still keeps one token.
  SamplingParams p = seeded(9);
  p.top_p = 0.0f;
  Sampler s(p);
  std::vector<float> logits = {0.0f, 0.2f, 0.1f};
  EXPECT_EQ(s.sample(logits, {}), 1);
}

TEST(SamplerTopP, KeepsSmallestSetReachingP) {
  const std::vector<double> probs = {0.05, 0.5, 0.15, 0.3};
  const auto logits = logits_for(probs);
  constexpr int kDraws = 100000;
  {
    SamplingParams p = seeded(21);
    p.top_p = 0.75f;  // 0.5 < 0.75 <= 0.8: tokens 1 and 3
    Sampler s(p);
    const auto counts = histogram(s, logits, kDraws);
    EXPECT_LT(chi_square(counts, {0, 0.5 / 0.8, 0, 0.3 / 0.8}, kDraws), chi2_bound(1));
  }
  {
    SamplingParams p = seeded(22);
    p.top_p = 0.9f;  // 0.8 < 0.9 <= 0.95: tokens 1, 3, 2
    Sampler s(p);
    const auto counts = histogram(s, logits, kDraws);
    EXPECT_LT(chi_square(counts, {0, 0.5 / 0.95, 0.15 / 0.95, 0.3 / 0.95}, kDraws), chi2_bound(2));
  }
}

TEST(SamplerTopP, LargeNucleusAcrossWholeVocabulary) {
  // Flat distribution: the nucleus for p = 0.5 is half the vocabulary, far past the first sorted
  // chunk; ties are ordered by id, so it is ids [0, 16000].
  const std::vector<float> logits(32000, 0.0f);
  SamplingParams p = seeded(31);
  p.top_p = 0.5f;
  Sampler s(p);
  TokenId max_seen = 0;
  std::vector<float> work;
  for (int i = 0; i < 1000; ++i) {
    work = logits;
    const TokenId t = s.sample(work, {});
    ASSERT_LE(t, 16000);
    max_seen = std::max(max_seen, t);
  }
  EXPECT_GT(max_seen, 15000);
}

TEST(SamplerTopP, ExactBoundaryInsideALargeTie) {
  // 500 tokens of weight 1 and 500 of weight e^-1; p = 0.8 needs all of the first group and
  // 128.17 weights of the second: with ties by id, tokens 500..628 stay, 629.. go.
  std::vector<float> logits(1000, 0.0f);
  std::fill(logits.begin() + 500, logits.end(), -1.0f);
  const double total = 500 + 500 * std::exp(-1.0);
  ASSERT_NEAR((0.8 * total - 500) / std::exp(-1.0), 128.17, 0.01);
  SamplingParams p = seeded(17);
  p.top_p = 0.8f;
  Sampler s(p);
  const auto counts = histogram(s, logits, 20000);
  for (size_t i = 629; i < counts.size(); ++i) ASSERT_EQ(counts[i], 0) << "token " << i;
  EXPECT_GT(counts[628], 0);  // expected ~13 draws
  EXPECT_GT(counts[500], 0);
}

TEST(SamplerTopP, MatchesFullSortReferenceOnRandomVocabulary) {
  for (uint64_t seed = 0; seed < 2; ++seed) {
    const std::vector<float> logits = random_logits(32000, 500 + seed, 1.0f);  // wide nucleus
    // Reference nucleus: sort everything.
    const auto probs = softmax(logits, 1.0);
    std::vector<TokenId> order(logits.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<TokenId>(i);
    std::sort(order.begin(), order.end(), [&](TokenId a, TokenId b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    std::vector<int> rank(logits.size());
    double cum = 0.0;
    size_t nucleus = 0;
    for (size_t r = 0; r < order.size(); ++r) {
      rank[order[r]] = static_cast<int>(r);
      if (nucleus == 0 && (cum += probs[order[r]]) >= 0.9) nucleus = r + 1;
    }
    ASSERT_GT(nucleus, 1000u);

    SamplingParams p = seeded(seed);
    p.top_p = 0.9f;
    Sampler s(p);
    const auto counts = histogram(s, logits, 1500);
    int deepest = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] == 0) continue;
      // One rank of slack: the sampler sums in float weights, the reference in double.
      ASSERT_LE(rank[i], static_cast<int>(nucleus)) << "token " << i << " outside the nucleus";
      deepest = std::max(deepest, rank[i]);
    }
    EXPECT_GT(deepest, static_cast<int>(nucleus * 0.9)) << "nucleus cut too early";
  }
}

TEST(SamplerTopP, AppliesAfterTopKOnRenormalizedMass) {
  // After top-k = 2 the survivors have 0.4/0.7 and 0.3/0.7; p = 0.5 keeps only the first.
  const auto logits = logits_for({0.4, 0.3, 0.2, 0.1});
  SamplingParams p = seeded(4);
  p.top_k = 2;
  p.top_p = 0.5f;
  Sampler s(p);
  const auto counts = histogram(s, logits, 2000);
  EXPECT_EQ(counts[0], 2000);
}

// ---------------------------------------------------------------------------------------------
// Min-p

TEST(SamplerMinP, DropsTokensBelowFractionOfMax) {
  const std::vector<double> probs = {0.15, 0.05, 0.5, 0.3};
  const auto logits = logits_for(probs);
  constexpr int kDraws = 100000;
  // Unsorted path (min-p alone) and sorted path (after top-k) must agree.
  for (const int top_k : {0, 4}) {
    SamplingParams p = seeded(55);
    p.top_k = top_k;
    p.min_p = 0.2f;  // threshold 0.1: token 1 (0.05) goes
    Sampler s(p);
    const auto counts = histogram(s, logits, kDraws);
    EXPECT_LT(chi_square(counts, {0.15 / 0.95, 0, 0.5 / 0.95, 0.3 / 0.95}, kDraws), chi2_bound(2))
        << "top_k=" << top_k;

    p.min_p = 0.7f;  // threshold 0.35: only token 2
    Sampler strict(p);
    EXPECT_EQ(histogram(strict, logits, 1000)[2], 1000);
  }
}

TEST(SamplerMinP, RunsAfterTopPWithoutRenormalizingTopPsTarget) {
  // top-p over {0.5, 0.3, 0.15, 0.05} at 0.82 keeps three tokens; min-p 0.2 (cut below 0.1)
  // keeps the same three. Had min-p run first and top-p seen the renormalized {0.526, 0.316,
  // 0.158}, top-p would stop after two.
  const auto logits = logits_for({0.5, 0.3, 0.15, 0.05});
  SamplingParams p = seeded(8);
  p.top_p = 0.82f;
  p.min_p = 0.2f;
  Sampler s(p);
  constexpr int kDraws = 100000;
  const auto counts = histogram(s, logits, kDraws);
  EXPECT_LT(chi_square(counts, {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, kDraws), chi2_bound(2));
}

TEST(SamplerMinP, UsesTemperatureScaledProbabilities) {
  // At T=1, p1/p0 = e^-1 ~ 0.37 > 0.3 keeps token 1; at T=0.5 the ratio is e^-2 ~ 0.14: dropped.
  const std::vector<float> logits = {1.0f, 0.0f};
  SamplingParams p = seeded(6);
  p.min_p = 0.3f;
  Sampler warm(p);
  EXPECT_GT(histogram(warm, logits, 2000)[1], 0);
  p.temperature = 0.5f;
  Sampler cool(p);
  EXPECT_EQ(histogram(cool, logits, 2000)[1], 0);
}

TEST(SamplerMinP, AboveOneKeepsTheBestToken) {
  SamplingParams p = seeded(6);
  p.min_p = 5.0f;
  Sampler s(p);
  const std::vector<float> logits = {0.0f, 0.3f, 0.2f};
  EXPECT_EQ(histogram(s, logits, 100)[1], 100);
}

// ---------------------------------------------------------------------------------------------
// Penalties. With temperature 0 the returned logits show exactly what the penalties did (the
// sampler leaves penalized logits in the caller's buffer), and the pick checks they feed greedy.

std::vector<float> penalized(const SamplingParams& params, std::vector<float> logits,
                             const std::vector<TokenId>& history) {
  SamplingParams p = params;
  p.temperature = 0.0f;
  Sampler s(p);
  const std::vector<TokenId> history_before = history;
  s.sample(logits, history);
  EXPECT_EQ(history, history_before);
  return logits;
}

const std::vector<float> kBase = {2.0f, -2.0f, 1.0f, 0.5f, 0.0f};
const std::vector<TokenId> kHistory = {0, 1, 1, 4};  // token 0 once, token 1 twice, token 4 once

TEST(SamplerPenalties, RepetitionDividesPositiveMultipliesNegativeOncePerToken) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{1.0f, -4.0f, 1.0f, 0.5f, 0.0f}));
  p.repetition_penalty = 0.5f;  // < 1 encourages repetition
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{4.0f, -1.0f, 1.0f, 0.5f, 0.0f}));
}

TEST(SamplerPenalties, PresenceSubtractsOncePerSeenToken) {
  SamplingParams p;
  p.presence_penalty = 0.75f;
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{1.25f, -2.75f, 1.0f, 0.5f, -0.75f}));
}

TEST(SamplerPenalties, FrequencySubtractsCountTimesValue) {
  SamplingParams p;
  p.frequency_penalty = 0.5f;
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{1.5f, -3.0f, 1.0f, 0.5f, -0.5f}));
  p.frequency_penalty = -0.5f;  // negative values reward repetition
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{2.5f, -1.0f, 1.0f, 0.5f, 0.5f}));
}

TEST(SamplerPenalties, CombinedRepetitionFirstThenSubtractions) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  p.presence_penalty = 0.25f;
  p.frequency_penalty = 0.5f;
  // token 0: 2/2 - 0.5 - 0.25; token 1: -2*2 - 1.0 - 0.25; token 4: 0*2 - 0.5 - 0.25.
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{0.25f, -5.25f, 1.0f, 0.5f, -0.75f}));
}

TEST(SamplerPenalties, WindowIsLastNTokens) {
  SamplingParams p;
  p.presence_penalty = 1.0f;
  p.penalty_last_n = 2;  // sees {1, 4}
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{2.0f, -3.0f, 1.0f, 0.5f, -1.0f}));
  p.penalty_last_n = -1;  // everything
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{1.0f, -3.0f, 1.0f, 0.5f, -1.0f}));
  p.penalty_last_n = 0;  // disabled
  EXPECT_EQ(penalized(p, kBase, kHistory), kBase);
  p.penalty_last_n = 100;  // longer than the history
  EXPECT_EQ(penalized(p, kBase, kHistory), (std::vector<float>{1.0f, -3.0f, 1.0f, 0.5f, -1.0f}));
}

TEST(SamplerPenalties, OffByDefaultAndOutOfRangeHistoryIgnored) {
  EXPECT_EQ(penalized(SamplingParams{}, kBase, kHistory), kBase);
  SamplingParams p;
  p.presence_penalty = 1.0f;
  EXPECT_EQ(penalized(p, kBase, {-1, 5, 1000}), kBase);
}

TEST(SamplerPenalties, NoStateLeaksBetweenCalls) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.frequency_penalty = 1.0f;
  Sampler s(p);
  std::vector<float> a = kBase;
  s.sample(a, std::vector<TokenId>{0, 0, 0});
  EXPECT_EQ(a, (std::vector<float>{-1.0f, -2.0f, 1.0f, 0.5f, 0.0f}));
  std::vector<float> b = kBase;
  s.sample(b, std::vector<TokenId>{2});
  EXPECT_EQ(b, (std::vector<float>{2.0f, -2.0f, 0.0f, 0.5f, 0.0f}));
}

TEST(SamplerPenalties, ShiftGreedyChoiceAtExactlyThePenalty) {
  // Degenerate two-token case: token 0 (seen once) at 2.0 loses 1.0 of presence penalty, so it
  // beats 0.999 and loses to 1.001. That pins the penalty to within 0.001.
  SamplingParams p;
  p.temperature = 0.0f;
  p.presence_penalty = 1.0f;
  const std::vector<TokenId> history = {0};
  Sampler s(p);
  std::vector<float> lower = {2.0f, 0.999f}, higher = {2.0f, 1.001f};
  EXPECT_EQ(s.sample(lower, history), 0);
  EXPECT_EQ(s.sample(higher, history), 1);
}

TEST(SamplerPenalties, ApplyBeforeTemperatureSampling) {
  // A huge frequency penalty on the only likely token makes it (practically) unreachable.
  SamplingParams p = seeded(12);
  p.frequency_penalty = 100.0f;
  Sampler s(p);
  const std::vector<TokenId> history = {0};
  std::vector<float> work;
  for (int i = 0; i < 1000; ++i) {
    work = {10.0f, 0.0f, 0.0f};
    EXPECT_NE(s.sample(work, history), 0);
  }
}

TEST(Sampler, RejectsBadInput) {
  SamplingParams p;
  p.repetition_penalty = 0.0f;
  EXPECT_THROW(Sampler{p}, std::invalid_argument);
  p = {};
  p.temperature = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(Sampler{p}, std::invalid_argument);
  Sampler s(SamplingParams{});
  std::vector<float> empty;
  EXPECT_THROW(s.sample(empty, {}), std::invalid_argument);
}

TEST(Sampler, FullPipelineOnRealisticVocabulary) {
  // All stages at once over a 32768-entry vocabulary: the draw lies in the top-k set and
  // satisfies min-p relative to the best token at the sampling temperature.
  SamplingParams p = seeded(2024, 0.7f);
  p.top_k = 40;
  p.top_p = 0.9f;
  p.min_p = 0.05f;
  p.repetition_penalty = 1.1f;
  p.presence_penalty = 0.1f;
  Sampler s(p);
  std::vector<TokenId> history = {1, 2, 3};
  for (uint64_t step = 0; step < 200; ++step) {
    const std::vector<float> logits = random_logits(32768, step);
    std::vector<float> work = logits;
    const TokenId t = s.sample(work, history);
    // `work` now holds the penalized logits the later stages saw.
    std::vector<float> sorted = work;
    std::nth_element(sorted.begin(), sorted.begin() + 39, sorted.end(), std::greater<>());
    ASSERT_GE(work[t], sorted[39]);
    const float best = *std::max_element(work.begin(), work.end());
    ASSERT_GE(std::exp((work[t] - best) / 0.7f), 0.05f * (1 - 1e-5f));
    history.push_back(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Stop strings

struct Streamed {
  std::string text;
  bool stopped = false;
  std::optional<size_t> index;
};

// Feeds `chunks` in order, then finish() unless stopped; checks that nothing comes after a stop.
Streamed stream(std::vector<std::string> stops, const std::vector<std::string>& chunks) {
  StopStringMatcher m(std::move(stops));
  Streamed out;
  for (const std::string& c : chunks) {
    const auto r = m.feed(c);
    if (out.stopped) {
      EXPECT_TRUE(r.text.empty());
      EXPECT_TRUE(r.stopped);
      continue;
    }
    out.text += r.text;
    out.stopped = r.stopped;
  }
  if (out.stopped) {
    EXPECT_EQ(m.finish(), "");
  } else {
    out.text += m.finish();
  }
  EXPECT_EQ(m.held_size(), 0u);
  out.index = m.matched_index();
  EXPECT_EQ(out.stopped, m.stopped());
  return out;
}

std::vector<std::string> bytes_of(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

TEST(StopStrings, NoStopReleasesAllText) {
  const auto r = stream({"###", "</s>"}, {"Hello", " wor", "ld#", "#", "!"});
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.text, "Hello world##!");
  EXPECT_FALSE(r.index.has_value());
  const auto none = stream({}, {"a", "b"});
  EXPECT_EQ(none.text, "ab");
}

TEST(StopStrings, EmitsEagerlyAndHoldsOnlyPossiblePrefixes) {
  StopStringMatcher m({"END"});
  auto r = m.feed("abc");
  EXPECT_EQ(r.text, "abc");  // nothing could start a stop string
  r = m.feed("xE");
  EXPECT_EQ(r.text, "x");
  EXPECT_EQ(m.held_size(), 1u);
  r = m.feed("N");
  EXPECT_EQ(r.text, "");
  EXPECT_FALSE(r.stopped);
  r = m.feed("x");  // "ENx" can no longer become "END"
  EXPECT_EQ(r.text, "ENx");
  r = m.feed("EN");
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(m.finish(), "EN");  // held-back text is released at the end
}

TEST(StopStrings, StopSpanningChunksIsNotEmitted) {
  const auto r = stream({"<|im_end|>"}, {"Hello", " <|im", "_", "end|", ">junk", "more"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "Hello ");
  EXPECT_EQ(r.index, 0u);
  const auto bytewise = stream({"<|im_end|>"}, bytes_of("Hi<|im_end|>junk"));
  EXPECT_EQ(bytewise.text, "Hi");
  EXPECT_TRUE(bytewise.stopped);
}

TEST(StopStrings, StopInsideOneChunkEmitsTextBefore) {
  StopStringMatcher m({"\n\n"});
  const auto r = m.feed("line one\n\nline two");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "line one");
  EXPECT_EQ(m.feed("more").text, "");
  EXPECT_TRUE(m.feed("more").stopped);
}

TEST(StopStrings, OverlappingPrefixes) {
  // "abab" with stop "aba": the match starts at 0.
  auto r = stream({"aba"}, {"ab", "ab"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "");
  // The held "aba" fails as "abac" but its suffix "ab" is still a live prefix.
  r = stream({"abac"}, {"aba", "b", "ac", "zz"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "ab");
  r = stream({"aab"}, bytes_of("aaaab"));
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "aa");
  r = stream({"abab"}, {"aba", "ba", "b"});  // "ababab": first match at 0
  EXPECT_EQ(r.text, "");
  r = stream({"abab"}, {"abaa", "bab"});  // "abaabab": first match at 3
  EXPECT_EQ(r.text, "aba");
}

TEST(StopStrings, MultipleStopStrings) {
  auto r = stream({"User:", "\n\n"}, {"Answer.\n", "\nUser: hi"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "Answer.");
  EXPECT_EQ(r.index, 1u);
  r = stream({"User:", "\n\n"}, {"Answer. Us", "er: hi\n\n"});
  EXPECT_EQ(r.text, "Answer. ");
  EXPECT_EQ(r.index, 0u);
  // Both end at the same byte: the one starting earlier wins (less text emitted).
  r = stream({"b", "ab"}, {"xa", "b"});
  EXPECT_EQ(r.text, "x");
  EXPECT_EQ(r.index, 1u);
  // One stop completes before a longer, earlier-starting one could: the first to complete wins,
  // whether the text comes in one chunk or byte by byte.
  for (const auto& chunks : {std::vector<std::string>{"abcd"}, bytes_of("abcd")}) {
    r = stream({"abcd", "c"}, chunks);
    EXPECT_EQ(r.text, "ab");
    EXPECT_EQ(r.index, 1u);
  }
  // Empty stop strings are ignored; indices still refer to the caller's list.
  r = stream({"", "!"}, {"hey!"});
  EXPECT_EQ(r.text, "hey");
  EXPECT_EQ(r.index, 1u);
}

TEST(StopStrings, Utf8SplitAcrossChunksIsHeldUntilComplete) {
  StopStringMatcher m({"。"});  // E3 80 82
  auto r = m.feed("caf\xC3");
  EXPECT_EQ(r.text, "caf");
  r = m.feed("\xA9 \xE4\xB8");  // completes é; 中 (E4 B8 AD) still partial
  EXPECT_EQ(r.text, "\xC3\xA9 ");
  r = m.feed("\xAD\xE3\x80");  // 中 done, then a prefix of 。
  EXPECT_EQ(r.text, "\xE4\xB8\xAD");
  r = m.feed("\x82tail");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "");
  // An incomplete sequence left at the end comes out with finish().
  StopStringMatcher tail({"x"});
  EXPECT_EQ(tail.feed("a\xF0\x9F").text, "a");
  EXPECT_EQ(tail.finish(), "\xF0\x9F");
  // Invalid bytes are not held forever.
  StopStringMatcher bad({"x"});
  EXPECT_EQ(bad.feed("a\xFF").text, "a\xFF");
  EXPECT_EQ(bad.feed("\x80\x80\x80\x80").text, "\x80\x80\x80\x80");
}

TEST(StopStrings, ResetStartsOver) {
  StopStringMatcher m({"stop"});
  EXPECT_TRUE(m.feed("please stop").stopped);
  m.reset();
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.feed("go st").text, "go ");
  EXPECT_EQ(m.finish(), "st");
}

// Reference: scan the whole text for the first position where some stop string ends; among those
// ending there, the longest (earliest start). Output is the text before it.
Streamed reference(const std::vector<std::string>& stops, const std::string& text) {
  for (size_t end = 1; end <= text.size(); ++end) {
    std::optional<size_t> best;
    for (size_t i = 0; i < stops.size(); ++i) {
      const std::string& s = stops[i];
      if (s.empty() || s.size() > end || text.compare(end - s.size(), s.size(), s) != 0) continue;
      if (!best || s.size() > stops[*best].size()) best = i;
    }
    if (best) return {text.substr(0, end - stops[*best].size()), true, best};
  }
  return {text, false, std::nullopt};
}

TEST(StopStrings, MatchesReferenceForRandomTextsAndChunkings) {
  std::mt19937_64 rng(99);
  const auto random_string = [&](size_t min_len, size_t max_len) {
    std::string s(std::uniform_int_distribution<size_t>(min_len, max_len)(rng), 'a');
    for (char& c : s) c = static_cast<char>('a' + std::uniform_int_distribution<int>(0, 2)(rng));
    return s;
  };
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<std::string> stops;
    const int n_stops = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int i = 0; i < n_stops; ++i) stops.push_back(random_string(1, 4));
    const std::string text = random_string(0, 24);
    std::vector<std::string> chunks;
    for (size_t pos = 0; pos < text.size();) {
      const size_t len = std::uniform_int_distribution<size_t>(0, 5)(rng);  // empty chunks too
      chunks.push_back(text.substr(pos, len));
      pos += len;
    }
    const Streamed want = reference(stops, text);
    const Streamed got = stream(stops, chunks);
    ASSERT_EQ(got.text, want.text) << "text=" << text << " stops[0]=" << stops[0];
    ASSERT_EQ(got.stopped, want.stopped) << "text=" << text;
    if (want.stopped) {
      // Duplicate stop strings may be reported under either index; the string is what matters.
      ASSERT_EQ(stops[*got.index], stops[*want.index]) << "text=" << text;
    }
  }
}

}  // namespace
}  // namespace engine
