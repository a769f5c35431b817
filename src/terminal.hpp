// How output meets a person: colour only on a terminal and never with NO_COLOR.
#pragma once

#include <cstdio>
#include <string>

namespace tiendo::cli {

enum class ColorMode { automatic, always, never };

// True if text written to `stream` should carry ANSI colours.
bool use_color(ColorMode mode, std::FILE* stream);

// Parses "auto", "always", "never".
bool parse_color_mode(const std::string& text, ColorMode& mode);

}  // namespace tiendo::cli
