#pragma once
/// @file
/// @brief Compiled mode: the instantiations a header lists are compiled once into
/// segkit::segkit_compiled instead of in every translation unit that uses them.
///
/// segkit is header-only by default. Linking `segkit::segkit_compiled` (CMake option
/// `SEGKIT_COMPILED`, on by default at the top level) defines `SEGKIT_COMPILED` for its users: each
/// heavy header then declares its common instantiations (float and double fits, searches,
/// layouts) `extern template`, and the static library holds their one definition. Results are the
/// same bit for bit (the same code, compiled with the same flags); only compile time changes.
///
/// A header lists its instantiations once, as an X-macro of fully qualified names at global scope:
/// @code
/// #define SEGKIT_INSTANCES_CLUSTER_KMEANS(X) X(class segkit::cluster::kmeans<float>) X(class segkit::cluster::kmeans<double>)
/// SEGKIT_INSTANCES_CLUSTER_KMEANS(SEGKIT_EXTERN_TEMPLATE)
/// @endcode
/// and the build generates the library's source from the same list (cmake/segkit-compiled.cmake).
/// Only members defined outside the class body (not inline) are kept out of users' translation
/// units, so the heavy parts of a fit are defined after their class.

/// `extern template` of one instantiation in compiled mode, nothing in header-only mode.
#if defined(SEGKIT_COMPILED)
#define SEGKIT_EXTERN_TEMPLATE(...) extern template __VA_ARGS__;
#else
#define SEGKIT_EXTERN_TEMPLATE(...)
#endif

/// How segkit's non-template functions are defined: `inline` in the headers in header-only mode;
/// in compiled mode the headers only declare them (their definitions, in detail/NAME-inl.hpp,
/// are compiled once into segkit::segkit_compiled).
#if defined(SEGKIT_COMPILED)
#define SEGKIT_FUNC
#else
#define SEGKIT_FUNC inline
#endif

/// The explicit instantiation definition of one listed instantiation (segkit_compiled's sources).
#define SEGKIT_INSTANTIATE(...) template __VA_ARGS__;

/// X(WHAT<Metric, T>) for the metrics the tool offers on float rows (l2, cosine, inner product,
/// Manhattan) and the two common ones on double rows; WHAT is e.g. `class segkit::cluster::hdbscan`.
#define SEGKIT_METRIC_INSTANCES(X, ...)                                                                      \
  X(__VA_ARGS__<segkit::distance::l2_metric, float>) X(__VA_ARGS__<segkit::distance::cosine_metric, float>)  \
  X(__VA_ARGS__<segkit::distance::inner_product_metric, float>)                                               \
  X(__VA_ARGS__<segkit::distance::manhattan_metric, float>) X(__VA_ARGS__<segkit::distance::l2_metric, double>) \
  X(__VA_ARGS__<segkit::distance::cosine_metric, double>)
