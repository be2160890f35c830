// What the AVX-512 matrix kernel files (quants_avx512.cpp, interleaved_rows_avx512.cpp) share.
// Only they include it: both are compiled with the same -m flags, so the linker may keep either
// file's copy of these inline functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/avx512_intrin.h"

namespace engine::avx512 {

inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 64 bytes in a register the compiler may not load again. GCC otherwise folds the load into every
// instruction that reads it (Q6_K's top bits were loaded once per shift), and the core has only
// two vector loads a cycle for the kernels' broadcasts and weights: in cache, 16-token products
// ran Q6_K 10% and Q5_K 6% faster with each weight register loaded once, single tokens 12-46%.
inline __m512i load512_once(const void* p) {
  __m512i v = _mm512_loadu_si512(p);
  __asm__("" : "+v"(v));
  return v;
}

// The activation rows of up to kTile tokens, as the tile kernels walk them block by block.
template <typename ActBlock>
struct TokenRows {
  const uint8_t* base;
  size_t stride;
  const ActBlock* operator[](int t) const {
    return reinterpret_cast<const ActBlock*>(base + static_cast<size_t>(t) * stride);
  }
};

// Tiles are this many tokens: each weight block is unpacked once and multiplied into every
// token's accumulators. Every token's arithmetic is the same whatever the tile's size, so
// results do not depend on batch composition.
constexpr int kTile = 4;

}  // namespace engine::avx512
