// Which SIMD kernel families this CPU can run, checked once at run time.
#pragma once

namespace engine {

bool cpu_has_avx2();    // AVX2, FMA and F16C
bool cpu_has_avx512();  // the above and AVX-512 F, BW, VL, DQ and VNNI

}  // namespace engine
