// Readers that turn an input text already in memory (CSV or JSON, as people already have
// them) into header + records, each with the line where it starts, handed to a sink.
// The readers never throw for bad input: every problem goes to RecordSink::error with its
// line, and reading goes on with the next record when it can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tiendo::store {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // The column names (trimmed, as written). Return false to stop reading.
  virtual bool header(const std::vector<std::string>& names, std::uint32_t line) = 0;
  // One record; fields.size() == header size (missing trailing optional fields are empty
  // strings for JSON). The views are valid only during the call. Return false to stop.
  virtual bool record(const std::vector<std::string_view>& fields, std::uint32_t line) = 0;
  // A problem in the input at `line` (1-based; 0 when the whole input is concerned).
  // Reading continues with the next record when it can.
  virtual void error(std::uint32_t line, std::string message) = 0;
  // Whether a JSON record's value of `key` (trimmed, as written) may be true or false,
  // which is then handed over as the text `true` or `false`; for any other key it is an
  // error, as in the default. CSV has no booleans: it hands over what is written.
  virtual bool takes_boolean(std::string_view key) const {
    static_cast<void>(key);
    return false;
  }
};

// The longest CSV row (its fields, delimiters, quotes and any line breaks inside quotes,
// without the line break that ends it) and the longest JSON string or number as written.
// A row of the widest kind (seven fields, a note of a few paragraphs) is well under 4 KiB;
// anything longer is not data but a mistake (a binary file, a whole document pasted into
// a cell, a file with no line breaks) whose text would otherwise be copied several times
// on its way to an error message. The readers stop at the bound: what follows it on the
// line is skipped without being parsed.
inline constexpr std::size_t kMaxRecordBytes = 64 * 1024;
inline constexpr std::size_t kMaxJsonTokenBytes = 64 * 1024;
// The most keys a JSON object (a row) may have. Every kind of input has at most seven
// columns; the bound keeps the check for repeated keys, which compares each key with the
// object's others, from taking quadratic time on an object of thousands of keys.
inline constexpr std::size_t kMaxJsonKeys = 64;

enum class Delimiter { comma, semicolon, tab };

// The delimiter of the first line of `text` (up to its first line break outside quotes):
// the one of `,` `;` TAB that occurs most outside quotes; ties prefer comma, then
// semicolon. A line with none of them is comma-separated (a single column).
Delimiter detect_delimiter(std::string_view text);

// CSV (RFC 4180) in UTF-8, with or without BOM. The first non-blank line is the header
// and decides the delimiter (detect_delimiter). Quoted fields may hold delimiters, line
// breaks and "" for a quote. Line breaks are LF, CRLF or a lone CR; the last line needs
// none. Blank lines (empty or spaces only) are skipped but counted. Fields are handed
// over as written (not trimmed); header names are trimmed. A record with another number
// of fields than the header, a quote inside an unquoted field, text after a closing quote
// or invalid UTF-8 is an error at its line and the record is skipped; so is a row longer
// than kMaxRecordBytes, and the reading resumes at the next line break after the bound; an
// unterminated quote is an error at the line where it opens and ends the reading.
void read_csv(std::string_view text, RecordSink& sink);

// JSON in UTF-8, with or without BOM: either a top-level array of objects, or an object
// whose members are arrays of objects (each member array is a table of its own: header()
// comes again for each). A table's header is the union of the keys (trimmed) of its
// accepted objects, in order of first appearance, and its line is the line of the `[`;
// each record is the values of one object in header order ("" for a missing key) at the
// line of its `{`. Strings are handed over unescaped, numbers as written (`1e3` stays
// `1e3`), and true and false as written for a key the sink takes them for
// (RecordSink::takes_boolean). A value that is null, an array or an object, true or false
// for any other key, a key that appears twice, or more than kMaxJsonKeys keys, is an error
// at the object's line and the object is skipped; an array element that is not an object, or a
// member of the top-level object that is not an array, is an error at its line.
//
// A table's header needs all its objects, so the whole input is parsed before the sink
// hears of it: a syntax error anywhere gives that one error (at its line) and nothing
// else, rather than the records of a file that is cut short or corrupt. A string or number
// longer than kMaxJsonTokenBytes as written is such an error too, found before parsing.
void read_json(std::string_view text, RecordSink& sink);

// Decides by content: the first character that is not a BOM or white space is `[` or `{`
// → read_json, else read_csv.
void read_records(std::string_view text, RecordSink& sink);

}  // namespace tiendo::store
