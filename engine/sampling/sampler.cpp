// Sampling pipeline, applied in the order llama.cpp's common sampler and vLLM use:
//   1. penalties (repetition, presence, frequency) on the raw logits, over the last
//      penalty_last_n history tokens; they apply before greedy too, as in both of those engines
//   2. greedy argmax if temperature <= 0 (ties to the lowest id); done
//   3. top-k               (nth_element + sort of the k survivors)
//   4. temperature scaling (folded into the softmax: exp((l - max) / T))
//   5. softmax             (kept unnormalized: the best token has weight exactly 1)
//   6. top-p               (smallest prefix by probability with mass >= p; at least one token)
//   7. min-p               (drop p < min_p * p_max; with p_max == 1 that is weight < min_p)
//   8. renormalize + draw  (a uniform draw in [0, kept mass) walked over the weights)
// Cost per call is a few linear passes over the vocabulary (vectorized exp, no allocation once
// the scratch buffers have grown). Nothing sorts the whole vocabulary: top-k selects then sorts
// k; min-p is a partition; top-p (see top_p_cut) partial-sorts a small head and otherwise finds
// its cut with a weight histogram.
#include "sampling/sampler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace engine {
namespace {

using Candidate = std::pair<float, TokenId>;

// Higher value first, ties to the lower id so every stage is deterministic.
struct Better {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
};

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// exp(x) for the non-positive arguments the softmax sees, written so GCC vectorizes the loop
// (std::exp does not, and it was most of the cost of sampling a 32k vocabulary). Cephes' expf
// range reduction and polynomial: relative error ~1.2e-7. exp(0) is exactly 1; arguments below
// -87 (including -inf from masked tokens) and NaN give exactly 0. The range checks are integer
// masks because GCC will not if-convert float compares under -ftrapping-math.
inline float exp_nonpositive(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  // For x <= 0 a larger bit pattern is a more negative number; the second test rejects NaN.
  const bool ok = (bits <= 0xC2AE0000u /* -87.0f */) & ((bits & 0x7FFFFFFFu) <= 0x7F800000u);
  const uint32_t mask = 0u - static_cast<uint32_t>(ok);
  x = std::bit_cast<float>((bits & mask) | (0xC2AE0000u & ~mask));
  // Round x/ln2 to an integer via truncation of (x/ln2 - 0.5): SSE2 has no floor.
  const int32_t k = static_cast<int32_t>(x * 1.44269504088896341f - 0.5f);
  const float fk = static_cast<float>(k);
  float r = x - fk * 0.693359375f;
  r = r - fk * -2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>(static_cast<uint32_t>(k + 127) << 23);  // 2^k
  return std::bit_cast<float>(std::bit_cast<uint32_t>(y * scale) & mask);
}

// Largest value, ignoring NaN. Four running maxima break the compare-select dependency chain
// that otherwise dominates this loop.
float max_value(std::span<const float> v) {
  float m[4] = {kNegInf, kNegInf, kNegInf, kNegInf};
  size_t i = 0;
  for (; i + 4 <= v.size(); i += 4) {
    for (size_t j = 0; j < 4; ++j) m[j] = v[i + j] > m[j] ? v[i + j] : m[j];
  }
  for (; i < v.size(); ++i) m[0] = v[i] > m[0] ? v[i] : m[0];
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

// Sum of candidate weights. Double, so 32k small terms don't lose the tail; independent partial
// sums keep the adds from serializing.
double total_weight(const Candidate* c, size_t count) {
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    for (size_t j = 0; j < 4; ++j) acc[j] += c[i + j].first;
  }
  for (; i < count; ++i) acc[0] += c[i].first;
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

uint64_t initial_seed(const std::optional<uint64_t>& seed) {
  if (seed) return *seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

TokenId argmax(std::span<const float> logits) {
  // Strict > keeps the first (lowest) id on ties and never lets a NaN win.
  TokenId best = 0;
  float best_logit = kNegInf;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] > best_logit) {
      best_logit = logits[i];
      best = static_cast<TokenId>(i);
    }
  }
  return best;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(initial_seed(params.seed)) {
  const auto bad = [](float v) { return std::isnan(v); };
  if (bad(params_.temperature) || bad(params_.top_p) || bad(params_.min_p) ||
      bad(params_.presence_penalty) || bad(params_.frequency_penalty)) {
    throw std::invalid_argument("SamplingParams: NaN parameter");
  }
  if (!(params_.repetition_penalty > 0.0f) || std::isinf(params_.repetition_penalty)) {
    throw std::invalid_argument("SamplingParams: repetition_penalty must be positive and finite");
  }
}

void Sampler::apply_penalties(std::span<float> logits, std::span<const TokenId> history) {
  const bool rep = params_.repetition_penalty != 1.0f;
  const bool presence = params_.presence_penalty != 0.0f;
  const bool frequency = params_.frequency_penalty != 0.0f;
  if (!(rep || presence || frequency) || params_.penalty_last_n == 0 || history.empty()) return;

  const size_t window = params_.penalty_last_n < 0
                            ? history.size()
                            : std::min(history.size(), static_cast<size_t>(params_.penalty_last_n));
  // A vocabulary-sized count table beats sorting the window: O(window) per step, and only the
  // touched entries are reset afterwards.
  if (counts_.size() < logits.size()) counts_.resize(logits.size(), 0);
  touched_.clear();
  for (const TokenId t : history.last(window)) {
    if (t < 0 || static_cast<size_t>(t) >= logits.size()) continue;  // e.g. a different vocab
    if (counts_[t]++ == 0) touched_.push_back(t);
  }
  for (const TokenId t : touched_) {
    float& l = logits[t];
    if (rep) l = l <= 0.0f ? l * params_.repetition_penalty : l / params_.repetition_penalty;
    l -= static_cast<float>(counts_[t]) * params_.frequency_penalty + params_.presence_penalty;
    counts_[t] = 0;
  }
}

// Number of candidates top-p keeps: the smallest prefix, in Better order, whose weight reaches
// `target`; at least one. Reorders candidates_[0, count) so that prefix comes first, sorted only
// where `sorted` already held. A full sort of 32k candidates costs milliseconds, so:
//   - peaked distributions (the usual case) end inside one partial sort of the head;
//   - otherwise a histogram over the weights' float bits finds the bucket where the cumulative
//     weight crosses the target; heavier buckets are kept whole, without sorting;
//   - inside that bucket, two selections narrow the range before a final small sort.
size_t Sampler::top_p_cut(size_t count, bool sorted, double target) {
  const auto first = candidates_.begin();
  size_t lo = 0;      // candidates_[0, lo) are kept
  size_t hi = count;  // the cut is in [lo, hi)
  double kept = 0.0;  // weight of candidates_[0, lo)

  constexpr size_t kHead = 64;
  if (!sorted && count > 4 * kHead) {
    std::partial_sort(first, first + kHead, first + count, Better{});
    for (size_t i = 0; i < kHead; ++i) {
      kept += candidates_[i].first;
      if (kept >= target) return i + 1;
    }
    lo = kHead;

    // Weights are in [0, 1], where the bit pattern orders like the value; exponent plus three
    // mantissa bits gives monotonic buckets at most 12.5% wide.
    const auto bucket = [](float w) { return std::bit_cast<uint32_t>(w) >> 20; };
    constexpr uint32_t kBuckets = (0x3F800000u >> 20) + 1;  // up to 1.0f
    // Four interleaved histograms: runs of same-bucket weights (flat logits) would otherwise
    // serialize on one memory location.
    bucket_mass_.assign(4 * kBuckets, 0.0);
    double* hist[4] = {&bucket_mass_[0], &bucket_mass_[kBuckets], &bucket_mass_[2 * kBuckets],
                       &bucket_mass_[3 * kBuckets]};
    size_t i = lo;
    for (; i + 4 <= count; i += 4) {
      for (size_t j = 0; j < 4; ++j)
        hist[j][bucket(candidates_[i + j].first)] += candidates_[i + j].first;
    }
    for (; i < count; ++i) hist[0][bucket(candidates_[i].first)] += candidates_[i].first;
    uint32_t cross = kBuckets;
    double before = kept;  // weight of everything heavier than bucket `cross`
    for (uint32_t b = kBuckets; b-- > 0;) {
      const double in_bucket = (hist[0][b] + hist[1][b]) + (hist[2][b] + hist[3][b]);
      if (before + in_bucket >= target) {
        cross = b;
        break;
      }
      before += in_bucket;
    }
    if (cross == kBuckets) return count;  // rounding kept the total just short of the target
    const auto heavier = std::partition(
        first + lo, first + count, [&](const Candidate& c) { return bucket(c.first) > cross; });
    const auto end = std::partition(heavier, first + count,
                                    [&](const Candidate& c) { return bucket(c.first) == cross; });
    lo = static_cast<size_t>(heavier - first);
    hi = static_cast<size_t>(end - first);
    kept = before;

    // Weights in the bucket lie within [w_min, w_max], a factor <= 1.125 apart, which bounds
    // how many of them the cut takes: the first `at_least` surely, never more than `at_most`.
    // Two selections isolate that window (usually a few percent of the bucket, a single token
    // for exact ties) and only the window gets sorted.
    if (hi - lo > 256) {
      float w_min = candidates_[lo].first;
      float w_max = w_min;
      for (size_t i = lo; i < hi; ++i) {
        w_min = std::min(w_min, candidates_[i].first);
        w_max = std::max(w_max, candidates_[i].first);
      }
      const double need = target - kept;
      const auto clamp = [&](double v) {
        return lo + static_cast<size_t>(std::clamp(v, 0.0, static_cast<double>(hi - lo)));
      };
      // One token of slack either side absorbs rounding.
      const size_t at_least = clamp(std::ceil(need / w_max) - 2);
      const size_t at_most = w_min > 0.0f ? clamp(std::ceil(need / w_min) + 1) : hi;
      if (at_least > lo) {
        std::nth_element(first + lo, first + at_least, first + hi, Better{});
        for (size_t i = lo; i < at_least; ++i) kept += candidates_[i].first;
        lo = at_least;
      }
      if (at_most >= lo && at_most + 1 < hi) {
        std::nth_element(first + lo, first + at_most, first + hi, Better{});
        hi = at_most + 1;
      }
    }
    std::sort(first + lo, first + hi, Better{});
  } else if (!sorted) {
    std::sort(first, first + count, Better{});
  }
  for (size_t i = lo; i < hi; ++i) {
    kept += candidates_[i].first;
    if (kept >= target) return i + 1;
  }
  return std::max<size_t>(hi, 1);  // rounding left the sum just short: keep the whole range
}

TokenId Sampler::sample(std::span<float> logits, std::span<const TokenId> history) {
  if (logits.empty()) throw std::invalid_argument("Sampler::sample: empty logits");
  apply_penalties(logits, history);

  const float inv_temp = 1.0f / params_.temperature;
  // Tiny temperatures overflow 1/T; they mean greedy anyway.
  if (!(params_.temperature > 0.0f) || !std::isfinite(inv_temp)) return argmax(logits);

  const size_t n = logits.size();
  candidates_.resize(n);  // keeps its capacity between calls
  const auto first = candidates_.begin();
  size_t count = n;
  bool sorted = false;
  float max_logit = kNegInf;

  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
    for (size_t i = 0; i < n; ++i) {
      const float l = logits[i];
      candidates_[i] = {std::isnan(l) ? kNegInf : l, static_cast<TokenId>(i)};  // NaN breaks sort
    }
    count = static_cast<size_t>(params_.top_k);
    std::nth_element(first, first + count, candidates_.end(), Better{});
    std::sort(first, first + count, Better{});
    sorted = true;
    max_logit = candidates_[0].first;
  } else {
    for (size_t i = 0; i < n; ++i) candidates_[i] = {logits[i], static_cast<TokenId>(i)};
    max_logit = max_value(logits);
  }
  // All masked: nothing to weigh. +inf: it would take all the mass, and inf - inf is NaN.
  if (!std::isfinite(max_logit)) return argmax(logits);

  // Weights relative to the best token, which gets exactly 1: no overflow, and min-p needs no
  // separate p_max.
  for (size_t i = 0; i < count; ++i) {
    candidates_[i].first = exp_nonpositive((candidates_[i].first - max_logit) * inv_temp);
  }
  double mass = total_weight(candidates_.data(), count);

  // min-p runs before top-p here, but the result is the same as the documented top-p-then-min-p
  // order: both keep a prefix of the tokens sorted by probability, min-p's cut does not depend on
  // what top-p kept (p_max survives both), and top-p's target is taken from the mass before
  // min-p. Cutting the long tail first leaves top-p a few tokens to sort instead of the vocab.
  const double full_mass = mass;
  if (params_.min_p > 0.0f) {
    // min_p * p_max with p_max == 1 here; capped at 1 so the best token always survives.
    const float threshold = std::min(params_.min_p, 1.0f);
    const auto last = first + count;
    const auto cut =
        sorted
            ? std::partition_point(first, last,
                                   [&](const Candidate& c) { return c.first >= threshold; })
            : std::partition(first, last, [&](const Candidate& c) { return c.first >= threshold; });
    const size_t survivors = static_cast<size_t>(cut - first);
    if (survivors < count) {
      count = survivors;
      mass = total_weight(candidates_.data(), count);
    }
  }

  if (params_.top_p < 1.0f && count > 1) {
    const size_t keep = top_p_cut(count, sorted, static_cast<double>(params_.top_p) * full_mass);
    if (keep < count) {
      count = keep;
      mass = total_weight(candidates_.data(), count);
    }
  }

  if (count == 1) return candidates_[0].second;

  // Drawing in [0, mass) is the renormalization.
  std::uniform_real_distribution<double> uniform(0.0, mass);
  const double u = uniform(rng_);
  double acc = 0.0;
  TokenId fallback = candidates_[0].second;
  for (size_t i = 0; i < count; ++i) {
    if (candidates_[i].first <= 0.0f) continue;  // underflowed weights can never be drawn
    acc += candidates_[i].first;
    fallback = candidates_[i].second;
    if (u < acc) return fallback;
  }
  return fallback;  // u rounded up to `mass`: the last positive-weight candidate
}

}  // namespace engine
