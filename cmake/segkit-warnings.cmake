# Warning flags for segkit's own targets (tests, examples, benchmarks); never global.
add_library(segkit_warnings INTERFACE)
target_compile_options(segkit_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror
    # g++ 12 false positive inside xtensor's xstorage.hpp (uvector's allocation, -Warray-bounds at -O2).
    -Wno-array-bounds
    # g++ 12 false positives on std::string / std::copy at -O2 (GCC bug 105329 and relatives).
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict -Wno-stringop-overflow -Wno-stringop-overread>
    # g++ 12 false positives on _mm512_undefined_* inside avx512fintrin.h, inlined through
    # xsimd::hadd when built for AVX-512 (GCC bug 105593, fixed in GCC 13).
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-uninitialized -Wno-maybe-uninitialized>>)
# ccache when present speeds up rebuilds in CI and locally.
find_program(SEGKIT_CCACHE ccache)
if(SEGKIT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${SEGKIT_CCACHE}" CACHE STRING "" FORCE)
endif()

# Sanitizers for segkit's own tests and tools, e.g. -DSEGKIT_SANITIZE=address,undefined or thread.
set(SEGKIT_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list for segkit's own targets (empty: none)")
if(SEGKIT_SANITIZE)
  target_compile_options(segkit_warnings INTERFACE -fsanitize=${SEGKIT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(segkit_warnings INTERFACE -fsanitize=${SEGKIT_SANITIZE})
endif()
