#pragma once
/// @file
/// @brief segkit's exception types and the helpers that build their messages.

#include <stdexcept>
#include <string>
#include <string_view>

namespace segkit {

/**
 * @brief Failure of I/O, of a file's format, or of a run-time library (not the caller's arguments).
 *
 * Messages name the component, the rule broken and the values seen, e.g.
 * `segkit::npy: data truncated: header promises 4000 bytes, file has 1200`.
 */
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief A file could not be opened, read, written, synced or renamed.
class io_error : public error {
 public:
  using error::error;
};

/// @brief A file is corrupt, truncated, of another version, or not of the expected kind.
class format_error : public error {
 public:
  using error::error;
};

/// @brief A progress callback asked a long computation to stop.
class cancelled : public error {
 public:
  using error::error;
};

/**
 * @brief A bad parameter, shape or value (NaN/Inf, empty input, k out of range, ...).
 *
 * Derives from std::invalid_argument so callers may catch the standard type.
 */
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {

// Message builders are plain functions so they are compiled once, not per template instance.

inline std::string compose(std::string_view component, std::string_view message) {
  std::string s;
  s.reserve(component.size() + message.size() + 2);
  s.append(component).append(": ").append(message);
  return s;
}

[[noreturn]] inline void throw_invalid(std::string_view component, std::string_view message) {
  throw segkit::invalid_argument(compose(component, message));
}

[[noreturn]] inline void throw_format(std::string_view component, std::string_view message) {
  throw segkit::format_error(compose(component, message));
}

[[noreturn]] inline void throw_io(std::string_view component, std::string_view message) {
  throw segkit::io_error(compose(component, message));
}

}  // namespace detail
}  // namespace segkit
