// Writes Mistral-architecture GGUF files with seeded random weights, for tests and benchmarks
// where no real weights can be downloaded.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/vocabulary.h"

namespace engine {

// The quantization mixes llama.cpp's quantize tool produces for these file types.
enum class SynthFileType { F32, F16, Q8_0, Q4_0, Q4_K_M, Q5_K_M, Q6_K };

struct SynthOptions {
  SynthFileType file_type = SynthFileType::Q4_K_M;
  std::string mistral_version = "v0.2";  // v0.1 (sliding window), v0.2, v0.3 (32768 vocab)
  int32_t dim = 256;
  int32_t n_layers = 2;
  int32_t n_heads = 4;
  int32_t n_kv_heads = 2;
  int32_t ff_dim = 768;
  int32_t context_length = 32768;
  int32_t sliding_window = -1;  // -1: the version's default (4096 for v0.1, none otherwise)
  uint64_t seed = 1;
  int threads = 2;
};

// "q4_k_m" etc.; throws std::invalid_argument listing the accepted names.
SynthFileType parse_synth_file_type(const std::string& name);

// The full Mistral 7B shape: dim 4096, 32 layers, 32 heads, 8 KV heads, ff 14336.
void apply_7b_shape(SynthOptions& options);

// Writes the file atomically; throws on invalid options or I/O errors.
void write_synthetic_model(const std::string& path, const SynthOptions& options,
                           const Vocabulary& vocabulary);

}  // namespace engine
