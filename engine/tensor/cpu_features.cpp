#include "tensor/cpu_features.h"

#include <cpuid.h>

namespace engine {
namespace {

// F16C straight from CPUID: not every compiler's __builtin_cpu_supports knows the name.
bool cpu_has_f16c() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

}  // namespace

// Asked once: CPUID traps to the hypervisor in a virtual machine, microseconds a call.
bool cpu_has_avx2() {
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  return has;
}

bool cpu_has_avx512() {
  static const bool has =
      cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vnni");
  return has;
}

}  // namespace engine
