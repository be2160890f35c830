// How big a GGUF file probably is, from its name alone: the operator sizes probe budgets before
// the file exists (it is downloaded by the pod).
//
//   bytes ≈ parameters × bits per weight / 8
//
// parameters: the name's "7b", "0.5B", "350m" or mixture-of-experts "8x7b" (experts × size ×
// 0.8, since the experts share attention and embeddings: Mixtral 8x7B is 46.7B), times 1.05
// because names round down (Mistral 7B has 7.24B).
// bits per weight: the quantization's average in llama.cpp files, e.g. Q4_K_M 4.85, Q8_0 8.5,
// F16 16; an unknown quantization counts as F16 (the largest common case).
// Without a parameter count the estimate is kUnknownModelBytes (16 GB: a 7B F16 or a 24B
// Q4_K_M), on the side of too long a wait rather than a pod killed while loading.
#pragma once

#include <string_view>

namespace resources {

inline constexpr double kUnknownModelBytes = 16e9;

struct ModelSizeEstimate {
  double bytes;
  bool from_name;  // false: kUnknownModelBytes
};

ModelSizeEstimate estimate_model_size(std::string_view file_name);

}  // namespace resources
