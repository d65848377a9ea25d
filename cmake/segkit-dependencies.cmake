# Finds what segkit's headers need. Used both in the build tree and by the installed package
# config (segkitConfig.cmake includes this file too), so consumers get the same targets.
include(CMakeFindDependencyMacro)
find_package(Threads REQUIRED)
if(NOT TARGET xtl)
  find_package(xtl REQUIRED)
endif()
if(NOT TARGET xsimd)
  find_package(xsimd REQUIRED)
endif()
if(NOT TARGET xtensor)
  find_package(xtensor REQUIRED)
endif()
if(NOT TARGET xtensor-blas)
  find_package(xtensor-blas REQUIRED)
endif()
if(NOT TARGET fmt::fmt)
  find_package(fmt REQUIRED)
endif()
# Boost.Graph (headers only) for segkit/graph/ and the examples' graphs.
if(NOT TARGET Boost::headers)
  find_package(Boost 1.74 REQUIRED)
endif()
# Optional: stb (Debian libstb-dev) for image decoding, behind the segkit::images target.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND AND NOT TARGET PkgConfig::STB)
  pkg_check_modules(STB QUIET IMPORTED_TARGET GLOBAL stb)
endif()
# Optional: MPI (Debian's OpenMPI) for segkit/distributed/, behind the segkit::mpi target. Only
# the C API is used (MPI_CXX_SKIP_MPICXX leaves out the deprecated C++ bindings).
if(NOT TARGET MPI::MPI_CXX)
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI QUIET COMPONENTS CXX)
endif()
