# Warning flags for segkit's own targets (tests, examples, benchmarks); never global.
add_library(segkit_warnings INTERFACE)
target_compile_options(segkit_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror
    # g++ 12 false positive inside xtensor's xstorage.hpp (see shared TOOLCHAIN notes).
    -Wno-array-bounds
    # g++ 12 false positive on std::string concatenation and copies at -O2 (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict -Wno-stringop-overflow>
    # g++ 12 false positive inside avx512fintrin.h, inlined through xsimd::hadd with -march=native.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>>)
# ccache when present speeds up rebuilds in CI and locally.
find_program(SEGKIT_CCACHE ccache)
if(SEGKIT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${SEGKIT_CCACHE}" CACHE STRING "" FORCE)
endif()
