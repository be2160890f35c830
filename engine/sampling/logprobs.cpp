#include "sampling/logprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace engine {

LogprobResult logprobs(std::span<const float> logits, TokenId chosen, int32_t k) {
  float max_logit = -INFINITY;
  for (float l : logits) max_logit = std::max(max_logit, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max_logit);
  const auto log_z = static_cast<float>(max_logit + std::log(sum));

  LogprobResult r;
  r.chosen = logits[chosen] - log_z;
  const auto n = static_cast<int32_t>(logits.size());
  k = std::clamp(k, 0, n);
  std::vector<TokenId> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](TokenId a, TokenId b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  for (int32_t i = 0; i < k; ++i) r.top.emplace_back(ids[i], logits[ids[i]] - log_z);
  return r;
}

}  // namespace engine
