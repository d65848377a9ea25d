#pragma once
/// @file
/// @brief Hugging Face / sentence-transformers model folders: the files of a text model read into
/// onnx_text_params, so that a model's own settings (tokenizer, pooling, normalisation, maximum
/// sequence length) are the defaults.

#include <filesystem>
#include <string>
#include <vector>

#include "segkit/core/compiled.hpp"
#include "segkit/embed/onnx_image.hpp"
#include "segkit/embed/onnx_text.hpp"

namespace segkit::embed {

/// A text model folder as read by read_text_model_folder(): the parameters and the files they came from.
struct text_model_folder {
  onnx_text_params params;                   ///< model, tokenizer, pooling, normalize and max_length from the folder
  std::vector<std::filesystem::path> files;  ///< the files read, in the order read (for messages and provenance)
};

/**
 * @brief Reads a model folder as sentence-transformers and transformers.js lay them out; a CLIP
 * folder (onnx/text_model.onnx, no onnx/model.onnx) gives its text tower, as
 * read_clip_model_folder() reads it.
 *
 * - the graph: `onnx/model.onnx`, else `model.onnx`;
 * - the tokenizer: `tokenizer.json`, else `vocab.txt` (lower-casing from `tokenizer_config.json`'s
 *   `do_lower_case`, default true);
 * - pooling: the Pooling module's `config.json` (the module's path in `modules.json`, else
 *   `1_Pooling/`): exactly one of `pooling_mode_mean_tokens`, `_cls_token`, `_max_tokens`,
 *   `_mean_sqrt_len_tokens`; without one, mean pooling;
 * - normalisation: when `modules.json` lists a Normalize module; without `modules.json`, on;
 * - max_length: `sentence_bert_config.json`'s `max_seq_length`, else `tokenizer_config.json`'s
 *   `model_max_length` (when below 100,000), else `config.json`'s `max_position_embeddings`,
 *   else the tokenizer.json's truncation, else 512.
 * @throws segkit::io_error when the folder or a required file is missing (named, with what was
 *         looked for); segkit::format_error for invalid JSON or settings segkit cannot follow
 *         (several pooling modes at once, weighted-mean or last-token pooling, named).
 */
[[nodiscard]] SEGKIT_FUNC text_model_folder read_text_model_folder(const std::filesystem::path& dir);

/// A CLIP model folder as read by read_clip_model_folder(): its two towers' parameters.
struct clip_model_folder {
  onnx_text_params text;                     ///< the text tower, its tokenizer.json and context length
  onnx_image_params image;                   ///< the vision tower and its preprocessing (empty model: the folder has none)
  std::vector<std::filesystem::path> files;  ///< the files read, in the order read
};

/**
 * @brief Reads a CLIP folder as transformers.js lays them out (Xenova/clip-vit-base-patch32):
 * - the text tower `onnx/text_model.onnx` (else `text_model.onnx`; output `text_embeds`) with the
 *   folder's `tokenizer.json` and context length (`tokenizer_config.json`'s `model_max_length`,
 *   else `config.json`'s `text_config.max_position_embeddings`, else 77);
 * - the vision tower `onnx/vision_model.onnx` (else `vision_model.onnx`; output `image_embeds`)
 *   when present, with `preprocessor_config.json`'s size (`size.shortest_edge`), crop,
 *   `image_mean` and `image_std` (CLIP's values when the file is absent);
 * vectors normalized (CLIP compares by cosine).
 * @throws segkit::io_error when the folder, a tower or the tokenizer is missing; segkit::format_error
 *         for invalid JSON or preprocessing segkit does not follow (a crop other than the size, no
 *         centre crop, resampling other than bicubic), named.
 */
[[nodiscard]] SEGKIT_FUNC clip_model_folder read_clip_model_folder(const std::filesystem::path& dir);

}  // namespace segkit::embed

#if !defined(SEGKIT_COMPILED)
#include "segkit/embed/detail/model_folder-inl.hpp"
#endif
