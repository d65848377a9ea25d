#pragma once
// The ONNX text model options every command that embeds text offers (embed text, segment, demo):
// read once per command, then used to embed and to keep the model by reference.

#include <cstddef>
#include <string>
#include <vector>

#include <segkit/embed/onnx_reference.hpp>
#include <segkit/embed/onnx_text.hpp>

#include "cli.hpp"

namespace segkit::cli {

/// The ONNX text model the tool's model options describe (text_model_option_list(): --model with
/// --vocab, or --clip-vocab and --clip-merges; --pooling, --max-length, --batch-size, --cased,
/// --runtime), read once per command.
struct text_model_options {
  embed::onnx_text_params params;
  std::string clip_vocab, clip_merges;  ///< empty: a WordPiece model
  /// The model's vectors of `texts`.
  [[nodiscard]] matrix<float> embed(const std::vector<std::string>& texts) const;
  /// The model kept by reference (paths and SHA-256 of its files) for a saved segmentation;
  /// `dim` is the width of its vectors.
  [[nodiscard]] embed::onnx_text_reference reference(std::size_t dim) const;
};

/// The model the options of `a` describe.
/// @throws usage_error when --model lacks its vocabulary (or CLIP's pair of files) or a value does not parse.
text_model_options text_model_of(const args& a);

/// The options of an ONNX text model, the same for every command that embeds text; defaults in
/// the help from embed::onnx_text_params.
std::vector<option> text_model_option_list();

}  // namespace segkit::cli
