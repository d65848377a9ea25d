#pragma once
/// @file
/// @brief A small YAML reader for configuration files: the block and flow subset people write
/// by hand, read into the same json_value the JSON reader gives, with errors naming the line.
///
/// Supported: block mappings (`key: value`, nested by indentation), block sequences (`- item`,
/// including `- key: value` items), flow collections on one line (`[1, 2]`, `{k: v}`), plain,
/// 'single-' and "double-quoted" scalars, `#` comments, and a leading `---`. Plain scalars
/// resolve as YAML 1.2's core schema does: null, ~, true, false, integers and decimals become
/// null, booleans and numbers; anything else is a string. Not supported (an error naming the
/// line, never a silent misreading): anchors and aliases, tags, block scalars (| and >),
/// multi-line flow collections, several documents, tabs in indentation, duplicate keys.

#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/compiled.hpp"

namespace segkit {

/**
 * @brief Parses the YAML subset described in this file into a json_value.
 * @param text the document
 * @param source names the document in error messages (a file name)
 * @throws segkit::format_error "source: line N: what" for anything outside the subset or malformed.
 */
SEGKIT_FUNC json_value parse_yaml(std::string_view text, std::string_view source = "<yaml>");

}  // namespace segkit

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/yaml-inl.hpp"
#endif
