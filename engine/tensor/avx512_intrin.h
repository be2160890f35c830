// <immintrin.h> for the AVX-512 kernel files. GCC 12's AVX-512 headers seed results with a
// self-initialised "undefined" vector, which trips -Wuninitialized once inlined (GCC bug 105593);
// the warning points into the header, so it is silenced there only.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
