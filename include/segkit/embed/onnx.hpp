#pragma once
/// @file
/// @brief ONNX Runtime, loaded at run time (dlopen): sessions with discovered inputs and outputs.
///
/// No ONNX Runtime header or link dependency: the few C API entries used are declared here from
/// the documented ABI (OrtGetApiBase -> OrtApi, a table of function pointers whose first 102
/// slots are frozen across versions). The library comes from the npm package `onnxruntime-node`
/// (bin/napi-v6/linux/x64/libonnxruntime.so.1); cmake/install-deps.sh fetches it. Link with
/// `-ldl` on glibc before 2.34 (CMake: `${CMAKE_DL_LIBS}`).

#include <dlfcn.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/params.hpp"

namespace segkit::embed {

/// ONNX tensor element types (the values of ONNXTensorElementDataType).
enum class onnx_type : int { undefined = 0, float32 = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, float64 = 11 };

/// A model input or output as the model declares it.
struct onnx_port {
  std::string name;
  onnx_type type = onnx_type::undefined;
  std::vector<std::int64_t> shape;  ///< -1 for a symbolic dimension
};

namespace detail {

// Opaque C types of the ONNX Runtime C API.
struct OrtStatus;
struct OrtEnv;
struct OrtSession;
struct OrtSessionOptions;
struct OrtValue;
struct OrtTypeInfo;
struct OrtTensorTypeAndShapeInfo;
struct OrtMemoryInfo;
struct OrtAllocator;
struct OrtRunOptions;
struct OrtApiBase {
  const void* (*GetApi)(std::uint32_t version);
  const char* (*GetVersionString)();
};

/// 0-based slots of the OrtApi table used here: positions in onnxruntime_c_api.h's `struct OrtApi`,
/// from its first block, which ONNX Runtime keeps frozen across versions (new entries are appended).
enum ort_slot : std::size_t {
  get_error_message = 2,
  create_env = 3,
  create_session = 7,
  run = 9,
  create_session_options = 10,
  set_graph_optimization_level = 23,
  set_intra_op_threads = 24,
  session_input_count = 30,
  session_output_count = 31,
  session_input_type_info = 33,
  session_output_type_info = 34,
  session_input_name = 36,
  session_output_name = 37,
  create_tensor_with_data = 49,
  get_tensor_mutable_data = 51,
  cast_type_info_to_tensor_info = 55,
  get_tensor_element_type = 60,
  get_dimensions_count = 61,
  get_dimensions = 62,
  get_tensor_type_and_shape = 65,
  create_cpu_memory_info = 69,
  allocator_free = 76,
  get_default_allocator = 78,
  release_status = 93,
  release_memory_info = 94,
  release_session = 95,
  release_value = 96,
  release_type_info = 98,
  release_tensor_type_and_shape_info = 99,
  release_session_options = 100,
};

}  // namespace detail

/// Where segkit looks for ONNX Runtime when given no path: $SEGKIT_ONNXRUNTIME, else the file
/// cmake/install-deps.sh fetches, ${XDG_CACHE_HOME:-$HOME/.cache}/segkit/onnxruntime-1.30.0/libonnxruntime.so.1.
/// A relative XDG_CACHE_HOME is ignored, as the XDG Base Directory rules say (it would make the
/// library depend on the working directory); with no usable HOME either, the path is empty.
inline std::filesystem::path default_onnxruntime_path() {
  if (const char* env = std::getenv("SEGKIT_ONNXRUNTIME"); env != nullptr && *env != '\0') return env;
  const auto absolute_env = [](const char* name) -> std::filesystem::path {
    const char* v = std::getenv(name);
    if (v == nullptr || *v != '/') return {};
    return v;
  };
  auto cache = absolute_env("XDG_CACHE_HOME");
  if (cache.empty()) {
    const auto home = absolute_env("HOME");
    if (home.empty()) return {};
    cache = home / ".cache";
  }
  return cache / "segkit" / "onnxruntime-1.30.0" / "libonnxruntime.so.1";
}

namespace detail {
/// The path handed to dlopen: absolute, or a bare file name that dlopen's own search finds
/// (LD_LIBRARY_PATH, the cache, the system directories). A relative path with a directory in it
/// is made absolute against the working directory now, so what is loaded is what the message names.
inline std::filesystem::path runtime_path_for_dlopen(const std::filesystem::path& p) {
  if (p.is_absolute() || !p.has_parent_path()) return p;
  return std::filesystem::absolute(p);
}
}  // namespace detail

/**
 * @brief A loaded ONNX Runtime library and its API table. Loaded once per path and kept for the
 * life of the process (never unloaded).
 * @par Thread safety  load() may be called from any thread.
 */
class onnx_runtime {
 public:
  /// API version asked for: 17 (ONNX Runtime 1.17); newer libraries serve older versions.
  static constexpr std::uint32_t api_version = 17;

  /**
   * @brief The runtime at `path`, or at default_onnxruntime_path() when `path` is empty.
   * @throws segkit::error when the library is missing or cannot be loaded, has no
   *         OrtGetApiBase, or does not offer api_version.
   */
  static const onnx_runtime& load(const std::filesystem::path& path = {}) {
    const std::filesystem::path where = detail::runtime_path_for_dlopen(path.empty() ? default_onnxruntime_path() : path);
    if (where.empty()) {
      fail("no ONNX Runtime library: pass its path or set SEGKIT_ONNXRUNTIME to libonnxruntime.so.1 (neither XDG_CACHE_HOME nor HOME "
           "is an absolute path to look in)");
    }
    if (path.empty() && where.has_parent_path() && !std::filesystem::exists(where)) {
      fail(fmt::format("no ONNX Runtime library at '{}': pass its path or set SEGKIT_ONNXRUNTIME to libonnxruntime.so.1 "
                       "(cmake/install-deps.sh fetches it from the npm package onnxruntime-node)",
                       where.string()));
    }
    static std::mutex lock;
    static std::unordered_map<std::string, std::unique_ptr<onnx_runtime>> loaded;
    const std::lock_guard guard(lock);
    auto& slot = loaded[where.string()];
    if (!slot) slot.reset(new onnx_runtime(where));
    return *slot;
  }

  /// The library's own version string (e.g. "1.30.0").
  [[nodiscard]] const std::string& version() const noexcept { return version_; }

  /// Function pointer of an API slot, as type F.
  template <class F>
  [[nodiscard]] F fn(std::size_t slot) const {
    return reinterpret_cast<F>(const_cast<void*>(table_[slot]));
  }

  /// The process's ONNX Runtime environment (created with the runtime, never released).
  [[nodiscard]] detail::OrtEnv* env() const noexcept { return env_; }

  /// Throws segkit::error with the runtime's message (and releases the status) when `status` is set.
  void check(detail::OrtStatus* status, const char* what) const {
    if (status == nullptr) return;
    const std::string message = fn<const char* (*)(const detail::OrtStatus*)>(detail::get_error_message)(status);
    fn<void (*)(detail::OrtStatus*)>(detail::release_status)(status);
    fail(fmt::format("{}: {}", what, message));
  }

  [[noreturn]] static void fail(const std::string& m) { throw segkit::error(segkit::detail::compose("segkit::embed::onnx", m)); }

 private:
  explicit onnx_runtime(const std::filesystem::path& path) {
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      const char* why = ::dlerror();
      fail(fmt::format("cannot load ONNX Runtime from '{}': {}", path.string(), why != nullptr ? why : "unknown error"));
    }
    using get_base = const detail::OrtApiBase* (*)();
    const auto base_fn = reinterpret_cast<get_base>(::dlsym(handle_, "OrtGetApiBase"));
    if (base_fn == nullptr) fail(fmt::format("'{}' has no OrtGetApiBase: not an ONNX Runtime library", path.string()));
    const detail::OrtApiBase* base = base_fn();
    version_ = base->GetVersionString != nullptr ? base->GetVersionString() : "unknown";
    table_ = static_cast<const void* const*>(base->GetApi(api_version));
    if (table_ == nullptr) {
      fail(fmt::format("ONNX Runtime {} at '{}' does not offer C API version {} (too old)", version_, path.string(), api_version));
    }
    check(fn<detail::OrtStatus* (*)(int, const char*, detail::OrtEnv**)>(detail::create_env)(4, "segkit", &env_), "CreateEnv");  // 4: fatal only (errors come back as exceptions)
  }

  void* handle_ = nullptr;
  const void* const* table_ = nullptr;
  detail::OrtEnv* env_ = nullptr;
  std::string version_;
};

/// Options of an onnx_session.
struct onnx_session_options {
  std::filesystem::path runtime{};   ///< libonnxruntime.so.1 (empty: default_onnxruntime_path())
  int intra_op_threads = 0;          ///< 0 = ONNX Runtime's default
  int optimization_level = 99;       ///< graph optimizations: 0 none, 1 basic, 2 extended, 99 all

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = onnx_session_options;
    namespace sp = segkit::params;
    return std::tuple{sp::field("runtime", &p::runtime, "libonnxruntime.so.1 (empty: SEGKIT_ONNXRUNTIME, then the user cache)"),
                      sp::field("intra_op_threads", &p::intra_op_threads, "ONNX Runtime's threads; 0 = its default", sp::at_least(0)),
                      sp::field("optimization_level", &p::optimization_level, "graph optimizations: 0 none, 1 basic, 2 extended, 99 all", sp::between(0, 99))};
  }
};

/// A dense tensor handed to or returned by a session (row-major).
template <class T>
struct onnx_tensor {
  std::vector<std::int64_t> shape;
  std::vector<T> data;
};

/**
 * @brief An ONNX model loaded into an ONNX Runtime session; inputs and outputs are read from the
 * model, not assumed.
 * @par Thread safety  run() may be called concurrently (ONNX Runtime sessions allow it).
 */
class onnx_session {
 public:
  /// @throws segkit::error for a missing or invalid model, or a runtime that cannot be loaded.
  explicit onnx_session(const std::filesystem::path& model, const onnx_session_options& options = {})
      : ort_(&onnx_runtime::load(options.runtime)) {
    using namespace detail;
    if (!std::filesystem::exists(model)) onnx_runtime::fail(fmt::format("model '{}' does not exist", model.string()));
    const auto& o = *ort_;
    OrtSessionOptions* so = nullptr;
    o.check(o.fn<OrtStatus* (*)(OrtSessionOptions**)>(create_session_options)(&so), "CreateSessionOptions");
    const std::unique_ptr<OrtSessionOptions, void (*)(OrtSessionOptions*)> so_guard(so, o.fn<void (*)(OrtSessionOptions*)>(release_session_options));
    if (options.intra_op_threads > 0) {
      o.check(o.fn<OrtStatus* (*)(OrtSessionOptions*, int)>(set_intra_op_threads)(so, options.intra_op_threads), "SetIntraOpNumThreads");
    }
    o.check(o.fn<OrtStatus* (*)(OrtSessionOptions*, int)>(set_graph_optimization_level)(so, options.optimization_level), "SetSessionGraphOptimizationLevel");
    o.check(o.fn<OrtStatus* (*)(const OrtEnv*, const char*, const OrtSessionOptions*, OrtSession**)>(create_session)(o.env(), model.c_str(), so, &session_),
            fmt::format("loading '{}'", model.string()).c_str());
    OrtAllocator* alloc = nullptr;
    o.check(o.fn<OrtStatus* (*)(OrtAllocator**)>(get_default_allocator)(&alloc), "GetAllocatorWithDefaultOptions");
    inputs_ = ports(true, alloc);
    outputs_ = ports(false, alloc);
  }
  onnx_session(const onnx_session&) = delete;
  onnx_session& operator=(const onnx_session&) = delete;
  ~onnx_session() {
    if (session_ != nullptr) ort_->fn<void (*)(detail::OrtSession*)>(detail::release_session)(session_);
  }

  [[nodiscard]] const std::vector<onnx_port>& inputs() const noexcept { return inputs_; }    ///< as the model declares them
  [[nodiscard]] const std::vector<onnx_port>& outputs() const noexcept { return outputs_; }  ///< as the model declares them
  [[nodiscard]] const onnx_runtime& runtime() const noexcept { return *ort_; }

  /**
   * @brief Runs the model on int64 inputs (by name, in any order; every model input must be
   * given) and returns the float32 output `output`.
   * @throws segkit::error naming a missing input, an unknown output, or the runtime's message.
   */
  [[nodiscard]] onnx_tensor<float> run(const std::unordered_map<std::string, onnx_tensor<std::int64_t>>& feeds, const std::string& output) const {
    return run_any<std::int64_t>(feeds, output, onnx_type::int64);
  }

  /// run() for float32 inputs (e.g. images).
  [[nodiscard]] onnx_tensor<float> run(const std::unordered_map<std::string, onnx_tensor<float>>& feeds, const std::string& output) const {
    return run_any<float>(feeds, output, onnx_type::float32);
  }

 private:
  template <class T>
  onnx_tensor<float> run_any(const std::unordered_map<std::string, onnx_tensor<T>>& feeds, const std::string& output, onnx_type type) const {
    using namespace detail;
    const auto& o = *ort_;
    bool known = false;
    for (const auto& p : outputs_) known = known || p.name == output;
    if (!known) onnx_runtime::fail(fmt::format("the model has no output '{}'", output));
    OrtMemoryInfo* mem = nullptr;
    o.check(o.fn<OrtStatus* (*)(int, int, OrtMemoryInfo**)>(create_cpu_memory_info)(1, 0, &mem), "CreateCpuMemoryInfo");  // arena, default memory
    const std::unique_ptr<OrtMemoryInfo, void (*)(OrtMemoryInfo*)> mem_guard(mem, o.fn<void (*)(OrtMemoryInfo*)>(release_memory_info));
    const auto release_value = o.fn<void (*)(OrtValue*)>(detail::release_value);
    std::vector<std::unique_ptr<OrtValue, void (*)(OrtValue*)>> held;
    std::vector<const char*> names;
    std::vector<const OrtValue*> values;
    for (const auto& p : inputs_) {
      const auto it = feeds.find(p.name);
      if (it == feeds.end()) onnx_runtime::fail(fmt::format("the model needs input '{}'", p.name));
      auto& t = const_cast<onnx_tensor<T>&>(it->second);  // ONNX Runtime only reads inputs
      OrtValue* v = nullptr;
      o.check(o.fn<OrtStatus* (*)(const OrtMemoryInfo*, void*, std::size_t, const std::int64_t*, std::size_t, int, OrtValue**)>(create_tensor_with_data)(
                  mem, t.data.data(), t.data.size() * sizeof(T), t.shape.data(), t.shape.size(), static_cast<int>(type), &v),
              fmt::format("input '{}'", p.name).c_str());
      held.emplace_back(v, release_value);
      names.push_back(p.name.c_str());
      values.push_back(v);
    }
    const char* out_name = output.c_str();
    OrtValue* out = nullptr;
    o.check(o.fn<OrtStatus* (*)(OrtSession*, const OrtRunOptions*, const char* const*, const OrtValue* const*, std::size_t, const char* const*, std::size_t,
                                 OrtValue**)>(detail::run)(session_, nullptr, names.data(), values.data(), values.size(), &out_name, 1, &out),
            "Run");
    const std::unique_ptr<OrtValue, void (*)(OrtValue*)> out_guard(out, release_value);
    OrtTensorTypeAndShapeInfo* info = nullptr;
    o.check(o.fn<OrtStatus* (*)(const OrtValue*, OrtTensorTypeAndShapeInfo**)>(get_tensor_type_and_shape)(out, &info), "GetTensorTypeAndShape");
    const std::unique_ptr<OrtTensorTypeAndShapeInfo, void (*)(OrtTensorTypeAndShapeInfo*)> info_guard(
        info, o.fn<void (*)(OrtTensorTypeAndShapeInfo*)>(release_tensor_type_and_shape_info));
    onnx_tensor<float> result;
    int elem = 0;
    o.check(o.fn<OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, int*)>(get_tensor_element_type)(info, &elem), "GetTensorElementType");
    if (elem != static_cast<int>(onnx_type::float32)) onnx_runtime::fail(fmt::format("output '{}' is of element type {}, not float32", output, elem));
    result.shape = dimensions(info);
    std::size_t count = 1;
    for (const auto d : result.shape) count *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
    void* data = nullptr;
    o.check(o.fn<OrtStatus* (*)(OrtValue*, void**)>(get_tensor_mutable_data)(out, &data), "GetTensorMutableData");
    const auto* f = static_cast<const float*>(data);
    result.data.assign(f, f + count);
    return result;
  }

  std::vector<std::int64_t> dimensions(const detail::OrtTensorTypeAndShapeInfo* info) const {
    using namespace detail;
    const auto& o = *ort_;
    std::size_t n = 0;
    o.check(o.fn<OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, std::size_t*)>(get_dimensions_count)(info, &n), "GetDimensionsCount");
    std::vector<std::int64_t> dims(n);
    o.check(o.fn<OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, std::int64_t*, std::size_t)>(get_dimensions)(info, dims.data(), n), "GetDimensions");
    return dims;
  }

  std::vector<onnx_port> ports(bool input, detail::OrtAllocator* alloc) const {
    using namespace detail;
    const auto& o = *ort_;
    std::size_t n = 0;
    o.check(o.fn<OrtStatus* (*)(const OrtSession*, std::size_t*)>(input ? session_input_count : session_output_count)(session_, &n), "count");
    std::vector<onnx_port> out;
    for (std::size_t i = 0; i < n; ++i) {
      onnx_port p;
      char* name = nullptr;
      o.check(o.fn<OrtStatus* (*)(const OrtSession*, std::size_t, OrtAllocator*, char**)>(input ? session_input_name : session_output_name)(session_, i, alloc, &name),
              "name");
      p.name = name;
      o.check(o.fn<OrtStatus* (*)(OrtAllocator*, void*)>(allocator_free)(alloc, name), "AllocatorFree");
      OrtTypeInfo* ti = nullptr;
      o.check(o.fn<OrtStatus* (*)(const OrtSession*, std::size_t, OrtTypeInfo**)>(input ? session_input_type_info : session_output_type_info)(session_, i, &ti),
              "type info");
      const std::unique_ptr<OrtTypeInfo, void (*)(OrtTypeInfo*)> ti_guard(ti, o.fn<void (*)(OrtTypeInfo*)>(release_type_info));
      const OrtTensorTypeAndShapeInfo* tensor = nullptr;
      o.check(o.fn<OrtStatus* (*)(const OrtTypeInfo*, const OrtTensorTypeAndShapeInfo**)>(cast_type_info_to_tensor_info)(ti, &tensor), "CastTypeInfoToTensorInfo");
      if (tensor != nullptr) {
        int elem = 0;
        o.check(o.fn<OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, int*)>(get_tensor_element_type)(tensor, &elem), "GetTensorElementType");
        p.type = static_cast<onnx_type>(elem);
        p.shape = dimensions(tensor);
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  const onnx_runtime* ort_;
  detail::OrtSession* session_ = nullptr;
  std::vector<onnx_port> inputs_, outputs_;
};

}  // namespace segkit::embed
