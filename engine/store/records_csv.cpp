// CSV (RFC 4180): the delimiter, then the records, each with its line.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "store/records.hpp"
#include "store/records_text.hpp"
#include "util/text.hpp"

namespace tiendo::store {

namespace {

using records_detail::kBom;
using records_detail::kNone;
using records_detail::starts_with_utf16_bom;
using util::trim;

// The character at `pos` for a message: printable ASCII and well-formed UTF-8 as
// themselves (the whole character, never its first byte), anything else by the value of
// its byte, so that a message stays valid UTF-8 whatever the input holds.
std::string describe_character(std::string_view text, std::size_t pos) {
  const auto byte = static_cast<unsigned char>(text[pos]);
  if (byte > 0x20 && byte < 0x7F) return fmt::format("'{}'", text[pos]);
  std::size_t next = pos;
  const char32_t c = util::decode_utf8(text, next);
  if (byte >= 0x80 && !(c == 0xFFFD && next == pos + 1) && c >= 0xA0) {
    return fmt::format("'{}'", text.substr(pos, next - pos));
  }
  return fmt::format("byte 0x{:02X}", byte);
}

// Reads one CSV text into the sink, record by record, each with the line it starts on.
class CsvReader {
 public:
  CsvReader(std::string_view text, RecordSink& sink) : text_(text), sink_(sink) {}

  void run() {
    if (starts_with_utf16_bom(text_)) {
      sink_.error(0, "the input is UTF-16; save it as UTF-8");
      return;
    }
    if (text_.starts_with(kBom)) pos_ = kBom.size();
    if (!skip_blank_lines()) {
      sink_.error(0, "the input has no header line");
      return;
    }
    switch (detect_delimiter(text_.substr(pos_))) {
      case Delimiter::comma:
        delimiter_ = ',';
        break;
      case Delimiter::semicolon:
        delimiter_ = ';';
        break;
      case Delimiter::tab:
        delimiter_ = '\t';
        break;
    }
    for (const char c : {delimiter_, '"', '\n', '\r'}) stops_[static_cast<unsigned char>(c)] = true;

    std::size_t start = pos_;
    std::uint32_t start_line = line_;
    // Without a header nothing after it can be read, so a bad header ends the reading.
    if (parse_record() != Parsed::record || report_invalid_utf8(start, start_line)) return;
    apply_fixups();
    std::vector<std::string> names;
    names.reserve(fields_.size());
    for (const std::string_view field : fields_) names.emplace_back(trim(field));
    if (!sink_.header(names, start_line)) return;

    while (skip_blank_lines()) {
      start = pos_;
      start_line = line_;
      const Parsed parsed = parse_record();
      if (parsed == Parsed::end) return;
      if (parsed == Parsed::skipped || report_invalid_utf8(start, start_line)) continue;
      if (fields_.size() != names.size()) {
        sink_.error(start_line, fmt::format("{} field{}, the header has {}", fields_.size(),
                                            fields_.size() == 1 ? "" : "s", names.size()));
        continue;
      }
      apply_fixups();
      if (!sink_.record(fields_, start_line)) return;
    }
  }

 private:
  enum class Parsed {
    record,   // fields_ holds it
    skipped,  // an error was reported; the reading goes on at the next line
    end,      // an error was reported that ends the reading
  };

  // Consumes one line break (LF, CRLF or CR) at pos_, if there is one.
  void end_line() {
    if (pos_ >= text_.size()) return;
    if (text_[pos_] == '\r') {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
    } else if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
  }

  // After an error inside a record: resume at the next physical line. The text of the
  // bad record is not trusted to say where its quotes end.
  void skip_line() {
    while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
    end_line();
  }

  // Moves pos_ to the first non-blank line; false at the end of the text.
  bool skip_blank_lines() {
    const std::size_t n = text_.size();
    while (pos_ < n) {
      std::size_t p = pos_;
      while (p < n && (text_[p] == ' ' || (text_[p] == '\t' && delimiter_ != '\t'))) ++p;
      if (p == n) {
        pos_ = n;
        return false;
      }
      if (text_[p] != '\n' && text_[p] != '\r') return true;
      pos_ = p;
      end_line();
    }
    return false;
  }

  // Line breaks inside a quoted field, counted like end_line() counts them.
  std::uint32_t count_line_breaks(std::size_t begin, std::size_t end) const {
    const char* first = text_.data() + begin;
    const char* last = text_.data() + end;
    auto count = static_cast<std::uint32_t>(std::count(first, last, '\n'));
    if (std::memchr(first, '\r', end - begin) != nullptr) {
      for (const char* p = first; p != last; ++p) {
        if (*p == '\r' && (p + 1 == text_.data() + text_.size() || p[1] != '\n')) ++count;
      }
    }
    return count;
  }

  // Parses the record at pos_ into fields_ and moves past its line break.
  Parsed parse_record() {
    fields_.clear();
    fixups_.clear();
    unescaped_.clear();
    const char* const d = text_.data();
    const std::size_t n = text_.size();
    const std::uint32_t start_line = line_;
    // No byte of the record but its closing line break may lie at or beyond `limit`.
    const std::size_t limit = std::min(n, pos_ + kMaxRecordBytes);
    const auto too_long = [&](std::size_t at) {
      sink_.error(start_line,
                  fmt::format("the row is longer than {0} KiB; a row is at most {0} KiB (its "
                              "fields, delimiters and quotes)",
                              kMaxRecordBytes / 1024));
      pos_ = at;
      skip_line();
      return Parsed::skipped;
    };
    const auto ends_record = [&](std::size_t p) { return p >= n || d[p] == '\n' || d[p] == '\r'; };
    for (;;) {
      std::size_t p = pos_;
      // Past the bound, or at it with more than the line break to come.
      if (p > limit || (p == limit && !ends_record(p))) return too_long(p);
      if (p < n && d[p] == '"') {
        const std::uint32_t open_line = line_;
        const std::size_t content = ++p;
        bool escaped = false;
        std::size_t close = 0;
        for (;;) {
          const void* quote = p < limit ? std::memchr(d + p, '"', limit - p) : nullptr;
          if (quote == nullptr) {
            if (limit < n) {
              line_ += count_line_breaks(p, std::max(p, limit));
              return too_long(limit);
            }
            sink_.error(open_line,
                        "unterminated quote: the quoted field that opens on this "
                        "line never closes");
            pos_ = n;
            return Parsed::end;
          }
          close = static_cast<std::size_t>(static_cast<const char*>(quote) - d);
          line_ += count_line_breaks(p, close);
          if (close + 1 < n && d[close + 1] == '"') {
            escaped = true;
            p = close + 2;
            continue;
          }
          break;
        }
        if (escaped) {
          unescape(content, close);
        } else {
          fields_.emplace_back(d + content, close - content);
        }
        p = close + 1;
        if (p < n && d[p] != delimiter_ && d[p] != '\n' && d[p] != '\r') {
          sink_.error(line_, fmt::format("{} after a closing quote; a quoted field ends at "
                                         "its closing quote (write \"\" for a quote inside)",
                                         describe_character(text_, p)));
          pos_ = p;
          skip_line();
          return Parsed::skipped;
        }
      } else {
        while (p < limit && !stops_[static_cast<unsigned char>(d[p])]) ++p;
        if (p == limit && !ends_record(p)) return too_long(p);
        if (p < n && d[p] == '"') {
          sink_.error(line_,
                      "a quote inside an unquoted field; quote the whole field and "
                      "double the quotes in it (\"5\"\" screen\")");
          pos_ = p;
          skip_line();
          return Parsed::skipped;
        }
        fields_.emplace_back(d + pos_, p - pos_);
      }
      if (p < n && d[p] == delimiter_) {
        pos_ = p + 1;
        continue;
      }
      pos_ = p;
      end_line();
      return Parsed::record;
    }
  }

  // The content of a quoted field with "" in [begin, end): unescaped into unescaped_,
  // which may still grow, so the field's view is made once the record is complete.
  void unescape(std::size_t begin, std::size_t end) {
    const std::size_t offset = unescaped_.size();
    std::size_t p = begin;
    while (p < end) {
      const std::size_t quote = text_.find('"', p);  // always a "" pair before `end`
      const std::size_t stop = std::min(quote, end);
      unescaped_.append(text_.data() + p, stop - p);
      if (stop == end) break;
      unescaped_ += '"';
      p = quote + 2;
    }
    fixups_.push_back({fields_.size(), offset, unescaped_.size() - offset});
    fields_.emplace_back();
  }

  void apply_fixups() {
    for (const Fixup& fixup : fixups_) {
      fields_[fixup.field] = std::string_view(unescaped_).substr(fixup.offset, fixup.size);
    }
  }

  // Reports the first ill-formed UTF-8 byte of the record just parsed, [start, pos_).
  bool report_invalid_utf8(std::size_t start, std::uint32_t start_line) {
    // One scan over the text in all: the next bad byte is remembered until passed.
    if (!searched_ || (invalid_ != kNone && invalid_ < start)) {
      const auto bad = util::find_invalid_utf8(text_.substr(start));
      invalid_ = bad ? start + *bad : kNone;
      searched_ = true;
    }
    if (invalid_ == kNone || invalid_ >= pos_) return false;
    sink_.error(start_line + count_line_breaks(start, invalid_),
                fmt::format("invalid UTF-8 ({}); is the file saved as UTF-8?",
                            describe_character(text_, invalid_)));
    return true;
  }

  struct Fixup {
    std::size_t field;
    std::size_t offset;
    std::size_t size;
  };

  std::string_view text_;
  RecordSink& sink_;
  char delimiter_ = ',';
  std::array<bool, 256> stops_{};  // bytes that end an unquoted field
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  bool searched_ = false;
  std::size_t invalid_ = kNone;  // the next ill-formed UTF-8 byte after the last search
  std::vector<std::string_view> fields_;
  std::string unescaped_;
  std::vector<Fixup> fixups_;
};

}  // namespace

Delimiter detect_delimiter(std::string_view text) {
  std::size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (const char c : text) {
    if (c == '"') {
      quoted = !quoted;  // "" inside a quoted field toggles twice
    } else if (!quoted) {
      if (c == '\n' || c == '\r') break;
      commas += c == ',';
      semicolons += c == ';';
      tabs += c == '\t';
    }
  }
  if (commas >= semicolons && commas >= tabs) return Delimiter::comma;
  return semicolons >= tabs ? Delimiter::semicolon : Delimiter::tab;
}

void read_csv(std::string_view text, RecordSink& sink) { CsvReader(text, sink).run(); }

}  // namespace tiendo::store
