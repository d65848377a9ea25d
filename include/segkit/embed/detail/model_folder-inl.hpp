// Definitions of segkit/embed/model_folder.hpp's functions: included by that header in header-only
// mode, compiled once into segkit_compiled in compiled mode.

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/json.hpp"

namespace segkit::embed {

namespace detail::folder {

inline constexpr std::string_view component = "segkit::embed::model_folder";

/// True for a regular file (false for anything else, or a path that cannot be read).
inline bool is_file(const std::filesystem::path& f) {
  std::error_code ec;
  return std::filesystem::is_regular_file(f, ec);
}

/// The JSON document in `path`, or nothing when there is no such file.
inline std::optional<json_value> json_file(const std::filesystem::path& path, std::vector<std::filesystem::path>& read, bool list = false) {
  if (!is_file(path)) return std::nullopt;
  const auto bytes = read_file_bytes(path, component);
  read.push_back(path);
  auto v = parse_json(std::string_view(bytes.data(), bytes.size()), path.string());
  if (list ? !v.is_array() : !v.is_object())
    segkit::detail::throw_format(component, fmt::format("{}: expected a JSON {}", path.string(), list ? "list" : "object"));
  return v;
}

inline const json_value* field(const std::optional<json_value>& doc, std::string_view key) {
  if (!doc) return nullptr;
  const auto& o = doc->as_object();
  const auto it = o.find(std::string(key));
  return it == o.end() || it->second.is_null() ? nullptr : &it->second;
}

inline std::optional<double> number(const std::optional<json_value>& doc, std::string_view key, const std::filesystem::path& path) {
  const auto* v = field(doc, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number() || v->as_number() < 1) segkit::detail::throw_format(component, fmt::format("{}: '{}' is not a positive number", path.string(), key));
  return v->as_number();
}

inline bool flag(const std::optional<json_value>& doc, std::string_view key, const std::filesystem::path& path) {
  const auto* v = field(doc, key);
  if (v == nullptr) return false;
  if (!v->is_bool()) segkit::detail::throw_format(component, fmt::format("{}: '{}' is not true or false", path.string(), key));
  return v->as_bool();
}

/// @throws segkit::io_error unless `dir` is a folder.
inline void require_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) segkit::detail::throw_io(component, fmt::format("'{}' is not a folder", dir.string()));
}

}  // namespace detail::folder

SEGKIT_FUNC text_model_folder read_text_model_folder(const std::filesystem::path& dir) {
  using namespace detail::folder;
  namespace fs = std::filesystem;
  require_folder(dir);
  if (!is_file(dir / "onnx" / "model.onnx") && !is_file(dir / "model.onnx") && (is_file(dir / "onnx" / "text_model.onnx") || is_file(dir / "text_model.onnx"))) {
    auto clip = read_clip_model_folder(dir);
    return {std::move(clip.text), std::move(clip.files)};
  }
  text_model_folder out;
  auto& p = out.params;

  p.model = is_file(dir / "onnx" / "model.onnx") ? dir / "onnx" / "model.onnx" : dir / "model.onnx";
  if (!is_file(p.model)) segkit::detail::throw_io(component, fmt::format("'{}' has no onnx/model.onnx or model.onnx", dir.string()));
  out.files.push_back(p.model);

  const auto tokenizer_config = json_file(dir / "tokenizer_config.json", out.files);
  if (is_file(dir / "tokenizer.json")) {
    p.tokenizer_json = dir / "tokenizer.json";
  } else if (is_file(dir / "vocab.txt")) {
    p.vocab = dir / "vocab.txt";
    const auto* lower = field(tokenizer_config, "do_lower_case");
    p.tokenizer.lower_case = lower == nullptr || !lower->is_bool() || lower->as_bool();
  } else {
    segkit::detail::throw_io(component, fmt::format("'{}' has no tokenizer.json or vocab.txt", dir.string()));
  }
  out.files.push_back(!p.tokenizer_json.empty() ? p.tokenizer_json : p.vocab);

  // sentence-transformers' modules: the Pooling module's folder and whether a Normalize module follows.
  fs::path pooling_dir = dir / "1_Pooling";
  p.normalize = true;
  if (const auto modules = json_file(dir / "modules.json", out.files, true)) {
    p.normalize = false;
    for (const auto& m : modules->as_array()) {
      const std::optional<json_value> entry = m.is_object() ? std::optional<json_value>(m) : std::nullopt;
      const auto* type = field(entry, "type");
      const auto* path = field(entry, "path");
      if (type == nullptr || !type->is_string())
        segkit::detail::throw_format(component, fmt::format("{}: a module without a 'type'", (dir / "modules.json").string()));
      const auto& t = type->as_string();
      if (t.ends_with(".Pooling") && path != nullptr && path->is_string()) pooling_dir = dir / path->as_string();
      if (t.ends_with(".Normalize")) p.normalize = true;
    }
  }

  const auto pooling_file = pooling_dir / "config.json";
  if (const auto pool = json_file(pooling_file, out.files)) {
    for (const char* unsupported : {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
      if (flag(pool, unsupported, pooling_file))
        segkit::detail::throw_format(component, fmt::format("{}: {} is not supported by segkit", pooling_file.string(), unsupported));
    }
    int modes = 0;
    for (const auto& [key, mode] : {std::pair{"pooling_mode_mean_tokens", pooling::mean}, std::pair{"pooling_mode_cls_token", pooling::cls},
                                    std::pair{"pooling_mode_max_tokens", pooling::max}, std::pair{"pooling_mode_mean_sqrt_len_tokens", pooling::mean_sqrt_len}}) {
      if (flag(pool, key, pooling_file)) {
        p.pooling = mode;
        ++modes;
      }
    }
    if (modes > 1)
      segkit::detail::throw_format(component, fmt::format("{}: several pooling modes at once (their vectors concatenated) are not supported by segkit",
                                                          pooling_file.string()));
  }

  const auto st_config = json_file(dir / "sentence_bert_config.json", out.files);
  const auto config = json_file(dir / "config.json", out.files);
  std::size_t max_length = 0;
  if (const auto n = number(st_config, "max_seq_length", dir / "sentence_bert_config.json")) {
    max_length = static_cast<std::size_t>(*n);
  } else if (const auto m = number(tokenizer_config, "model_max_length", dir / "tokenizer_config.json"); m && *m < 100000) {
    max_length = static_cast<std::size_t>(*m);
  } else if (const auto q = number(config, "max_position_embeddings", dir / "config.json")) {
    // RoBERTa-family models reserve 2 positions (padding offset): 514 positions hold 512 tokens.
    const auto* type = field(config, "model_type");
    const bool roberta = type != nullptr && type->is_string() && type->as_string().find("roberta") != std::string::npos;
    max_length = static_cast<std::size_t>(*q) - (roberta && *q > 2 ? 2 : 0);
  } else if (p.tokenizer_json.empty()) {
    max_length = bert_default_max_length;
  }  // else 0: the tokenizer.json's truncation (or none)
  p.tokenizer.max_length = max_length;
  return out;
}

namespace detail::folder {

/// A size in preprocessor_config.json: a number, or an object with `key` (e.g. shortest_edge) or height and width.
inline std::optional<std::size_t> image_size(const std::optional<json_value>& doc, std::string_view name, std::string_view key,
                                             const std::filesystem::path& path) {
  const auto* v = field(doc, name);
  if (v == nullptr) return std::nullopt;
  const auto bad = [&] { segkit::detail::throw_format(component, fmt::format("{}: '{}' is not a size", path.string(), name)); };
  if (v->is_number()) {
    if (v->as_number() < 1) bad();
    return static_cast<std::size_t>(v->as_number());
  }
  if (!v->is_object()) bad();
  const std::optional<json_value> o(*v);
  if (const auto n = number(o, key, path)) return static_cast<std::size_t>(*n);
  const auto h = number(o, "height", path), w = number(o, "width", path);
  if (!h || !w) bad();
  if (*h != *w) segkit::detail::throw_format(component, fmt::format("{}: '{}' is not square, which segkit does not follow", path.string(), name));
  return static_cast<std::size_t>(*h);
}

/// Three numbers (a channel mean or standard deviation).
inline void channels(const std::optional<json_value>& doc, std::string_view name, std::array<float, 3>& out, const std::filesystem::path& path) {
  const auto* v = field(doc, name);
  if (v == nullptr) return;
  if (!v->is_array() || v->as_array().size() != 3) segkit::detail::throw_format(component, fmt::format("{}: '{}' is not three numbers", path.string(), name));
  for (std::size_t c = 0; c < 3; ++c) {
    const auto& x = v->as_array()[c];
    if (!x.is_number() || !(x.as_number() > (name == "image_std" ? 0.0 : -1e9)))
      segkit::detail::throw_format(component, fmt::format("{}: '{}' is not three numbers (standard deviations above 0)", path.string(), name));
    out[c] = static_cast<float>(x.as_number());
  }
}

}  // namespace detail::folder

SEGKIT_FUNC clip_model_folder read_clip_model_folder(const std::filesystem::path& dir) {
  using namespace detail::folder;
  namespace fs = std::filesystem;
  require_folder(dir);
  const auto tower = [&](const char* name) { return is_file(dir / "onnx" / name) ? dir / "onnx" / name : is_file(dir / name) ? dir / name : fs::path(); };
  clip_model_folder out;
  out.text.model = tower("text_model.onnx");
  if (out.text.model.empty()) segkit::detail::throw_io(component, fmt::format("'{}' has no onnx/text_model.onnx or text_model.onnx", dir.string()));
  out.files.push_back(out.text.model);
  if (!is_file(dir / "tokenizer.json")) segkit::detail::throw_io(component, fmt::format("'{}' has no tokenizer.json", dir.string()));
  out.text.tokenizer_json = dir / "tokenizer.json";
  out.files.push_back(out.text.tokenizer_json);
  out.text.normalize = true;
  const auto tokenizer_config = json_file(dir / "tokenizer_config.json", out.files);
  const auto config = json_file(dir / "config.json", out.files);
  std::size_t context = 77;
  if (const auto m = number(tokenizer_config, "model_max_length", dir / "tokenizer_config.json"); m && *m < 100000) {
    context = static_cast<std::size_t>(*m);
  } else if (const auto* text_config = field(config, "text_config"); text_config != nullptr && text_config->is_object()) {
    if (const auto q = number(std::optional<json_value>(*text_config), "max_position_embeddings", dir / "config.json")) context = static_cast<std::size_t>(*q);
  }
  out.text.tokenizer.max_length = context;

  out.image.model = tower("vision_model.onnx");
  out.image.normalize = true;
  if (!out.image.model.empty()) out.files.push_back(out.image.model);
  const auto pre_path = dir / "preprocessor_config.json";
  if (const auto pre = json_file(pre_path, out.files)) {
    const auto size = image_size(pre, "size", "shortest_edge", pre_path);
    const auto crop = image_size(pre, "crop_size", "shortest_edge", pre_path);
    if (size) out.image.preprocessing.size = *size;
    if (size && crop && *crop != *size)
      segkit::detail::throw_format(component, fmt::format("{}: a crop ({}) other than the size ({}) is not supported by segkit", pre_path.string(), *crop, *size));
    if (const auto* c = field(pre, "do_center_crop"); c != nullptr && c->is_bool() && !c->as_bool())
      segkit::detail::throw_format(component, fmt::format("{}: preprocessing without a centre crop is not supported by segkit", pre_path.string()));
    if (const auto r = number(pre, "resample", pre_path); r && *r != 3)
      segkit::detail::throw_format(component, fmt::format("{}: resampling {} (3 is bicubic) is not supported by segkit", pre_path.string(), *r));
    channels(pre, "image_mean", out.image.preprocessing.mean, pre_path);
    channels(pre, "image_std", out.image.preprocessing.std, pre_path);
  }
  return out;
}

}  // namespace segkit::embed
