// Text made safe for where it goes: HTML, CSV, and aligned tables for a terminal (with
// ANSI colours by tone).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "present/labels.hpp"

namespace tiendo::present {

// & < > " ' as character references.
std::string html_escape(std::string_view text);
// `name` in a badge of its tone's colour: <span class="badge TONE">NAME</span> (the page's
// style sheet gives the classes their colours).
std::string html_badge(std::string_view name, Tone tone);
// One CSV field, quoted (RFC 4180) when it holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view text);

// The ANSI escape that colours a tone in a terminal: green, yellow, red, blue, dim.
std::string_view ansi_colour(Tone tone);

// Rows of cells in left-aligned columns two spaces apart, widths counted in characters,
// not bytes; the last cell of a row is not padded and no line ends in spaces.
std::string table(const std::vector<std::vector<std::string>>& rows);
// The same, with the cell of column `toned_column` in row i wrapped in the ANSI colour of
// `tones[i]` when `color` and that tone is set (the header's is usually not).
std::string table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<std::optional<Tone>>& tones, std::size_t toned_column,
                  bool color);

}  // namespace tiendo::present
