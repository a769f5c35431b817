#include "terminal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace tiendo::cli {

bool use_color(ColorMode mode, std::FILE* stream) {
  if (mode == ColorMode::always) return true;
  if (mode == ColorMode::never) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return ::isatty(::fileno(stream)) == 1;
}

bool parse_color_mode(const std::string& text, ColorMode& mode) {
  if (text == "auto") {
    mode = ColorMode::automatic;
  } else if (text == "always") {
    mode = ColorMode::always;
  } else if (text == "never") {
    mode = ColorMode::never;
  } else {
    return false;
  }
  return true;
}

}  // namespace tiendo::cli
