// JSON: nlohmann's SAX parser, with each object's line found by walking the text in step.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <utility>

#include "store/records.hpp"
#include "store/records_text.hpp"
#include "util/text.hpp"

namespace tiendo::store {

namespace {

using records_detail::kNone;
using records_detail::skip_bom;
using records_detail::starts_with_utf16_bom;
using util::trim;

// Messages quoting the input (nlohmann's "last read: ...") may carry its invalid UTF-8.
std::string valid_utf8(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const auto bad = util::find_invalid_utf8(text);
    if (!bad) {
      out += text;
      break;
    }
    out += text.substr(0, *bad);
    out += fmt::format("\\x{:02X}", static_cast<unsigned char>(text[*bad]));
    text.remove_prefix(*bad + 1);
  }
  return out;
}

// nlohmann reports no positions for values, so this walks the same text in step with the
// SAX events: every event but parse_error consumes exactly one token (`,` and `:` give no
// event and are skipped). It trusts the text up to the token nlohmann just accepted.
class TokenScanner {
 public:
  struct Token {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::uint32_t line = 1;
    bool has_escape = false;  // a string token with a backslash
  };

  explicit TokenScanner(std::string_view text) : text_(text) {}

  Token next() {
    const std::size_t n = text_.size();
    while (pos_ < n) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
      } else if (c != ' ' && c != '\t' && c != '\r' && c != ',' && c != ':') {
        break;
      }
      ++pos_;
    }
    Token token{pos_, pos_, line_, false};
    if (pos_ >= n) return token;
    switch (text_[pos_]) {
      case '{':
      case '}':
      case '[':
      case ']':
        ++pos_;
        break;
      case '"':
        for (++pos_; pos_ < n && text_[pos_] != '"'; ++pos_) {
          if (text_[pos_] == '\\') {
            token.has_escape = true;
            ++pos_;
          }
        }
        ++pos_;
        break;
      case 't':
      case 'n':
        pos_ += 4;
        break;
      case 'f':
        pos_ += 5;
        break;
      default:
        while (pos_ < n && is_number_char(text_[pos_])) ++pos_;
        break;
    }
    token.end = std::min(pos_, n);
    return token;
  }

  static bool is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  }

  std::uint32_t line_of(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    return 1 + static_cast<std::uint32_t>(std::count(
                   text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
};

// Collects the tables with nlohmann's SAX interface; the sink hears of them only once the
// whole text has parsed (see read_json).
class JsonCollector {
 public:
  using json = nlohmann::json;

  JsonCollector(std::string_view text, const RecordSink& sink)
      : text_(text), sink_(sink), scanner_(text) {}

  // Hands what was collected to the sink, or the syntax error alone.
  void emit(RecordSink& sink) const {
    if (syntax_error_) {
      sink.error(syntax_error_->first, syntax_error_->second);
      return;
    }
    const Table* table = nullptr;
    std::vector<std::string_view> fields;
    for (const Event& event : events_) {
      switch (event.kind) {
        case Event::Kind::header:
          table = &tables_[event.index];
          if (!sink.header(table->names, event.line)) return;
          break;
        case Event::Kind::record:
          fields.assign(table->names.size(), std::string_view());
          for (std::size_t i = event.index; i < event.index + event.count; ++i) {
            fields[table->columns.at(entries_[i].key)] = entries_[i].value;
          }
          if (!sink.record(fields, event.line)) return;
          break;
        case Event::Kind::error:
          sink.error(event.line, messages_[event.index]);
          break;
      }
    }
  }

  // --- the SAX interface
  bool null() { return scalar("null"); }
  bool boolean(bool value) {
    if (skip_depth_ == 0 && depth_ == record_depth() && sink_.takes_boolean(key_)) {
      const TokenScanner::Token token = scanner_.next();
      add_value(text_.substr(token.begin, token.end - token.begin));
      return true;
    }
    return scalar(value ? "true" : "false");
  }
  bool number_integer(json::number_integer_t /*value*/) { return number(); }
  bool number_unsigned(json::number_unsigned_t /*value*/) { return number(); }
  bool number_float(json::number_float_t /*value*/, const json::string_t& /*text*/) {
    return number();
  }
  bool binary(json::binary_t& /*value*/) { return scalar("binary"); }

  bool string(json::string_t& value) {
    const TokenScanner::Token token = scanner_.next();
    if (skip_depth_ != 0) return true;
    if (depth_ == record_depth()) {
      add_value(keep(token, value));
    } else {
      misplaced(token, "a string");
    }
    return true;
  }

  bool key(json::string_t& name) {
    const TokenScanner::Token token = scanner_.next();
    if (skip_depth_ != 0) return true;
    const std::string_view kept = keep(token, name);
    if (depth_ == record_depth()) {
      key_ = trim(kept);
    } else {
      member_ = kept;  // depth 1 of an object of tables
    }
    return true;
  }

  bool start_object(std::size_t /*size*/) {
    const TokenScanner::Token token = scanner_.next();
    if (skip_depth_ == 0) {
      if (depth_ == 0) {
        table_depth_ = 2;
      } else if (table_open_ && depth_ == table_depth_) {
        record_line_ = token.line;
        record_first_ = entries_.size();
        record_bad_ = false;
      } else {
        misplaced(token, "an object");
        skip_depth_ = depth_ + 1;
      }
    }
    ++depth_;
    return true;
  }

  bool end_object() {
    scanner_.next();
    --depth_;
    if (skip_depth_ != 0) {
      if (depth_ < skip_depth_) skip_depth_ = 0;
      return true;
    }
    if (table_open_ && depth_ == table_depth_) finish_record();
    return true;
  }

  bool start_array(std::size_t /*size*/) {
    const TokenScanner::Token token = scanner_.next();
    if (skip_depth_ == 0) {
      if (depth_ == 0 || (depth_ == 1 && table_depth_ == 2)) {
        table_depth_ = depth_ + 1;
        table_open_ = true;
        events_.push_back({Event::Kind::header, token.line, tables_.size(), 0});
        tables_.emplace_back();
      } else {
        misplaced(token, "an array");
        skip_depth_ = depth_ + 1;
      }
    }
    ++depth_;
    return true;
  }

  bool end_array() {
    scanner_.next();
    --depth_;
    if (skip_depth_ != 0) {
      if (depth_ < skip_depth_) skip_depth_ = 0;
      return true;
    }
    if (table_open_ && depth_ + 1 == table_depth_) table_open_ = false;
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    // nlohmann's position counts the offending character itself.
    const std::size_t offset = position == 0 ? 0 : position - 1;
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    // keeps the part after its own location, which this reader gives as the line.
    std::string_view what = error.what();
    if (const std::size_t column = what.find("column "); column != std::string_view::npos) {
      if (const std::size_t colon = what.find(": ", column); colon != std::string_view::npos) {
        what.remove_prefix(colon + 2);
      }
    }
    syntax_error_.emplace(scanner_.line_of(offset), "invalid JSON: " + valid_utf8(what));
    return false;
  }

 private:
  struct Entry {
    std::string_view key;
    std::string_view value;
  };
  struct Table {
    std::vector<std::string> names;
    std::unordered_map<std::string_view, std::size_t> columns;  // name → index in names
  };
  struct Event {
    enum class Kind { header, record, error };
    Kind kind;
    std::uint32_t line;
    std::size_t index;  // header: tables_; record: first of entries_; error: messages_
    std::size_t count;  // record: entries
  };

  // The depth of a record's values: inside the table's array and the record's object.
  std::size_t record_depth() const { return table_open_ ? table_depth_ + 1 : kNone; }

  // The string's text as a view that outlives the parse: the input itself unless
  // escapes made nlohmann's unescaped copy differ from it.
  std::string_view keep(const TokenScanner::Token& token, json::string_t& value) {
    if (!token.has_escape) return text_.substr(token.begin + 1, token.end - token.begin - 2);
    return owned_.emplace_back(std::move(value));
  }

  bool number() {
    const TokenScanner::Token token = scanner_.next();
    if (skip_depth_ != 0) return true;
    if (depth_ == record_depth()) {
      add_value(text_.substr(token.begin, token.end - token.begin));
    } else {
      misplaced(token, "a number");
    }
    return true;
  }

  bool scalar(const char* what) {
    const TokenScanner::Token token = scanner_.next();
    if (skip_depth_ != 0) return true;
    misplaced(token, what);
    return true;
  }

  void add_value(std::string_view value) {
    if (record_bad_) return;
    if (entries_.size() - record_first_ >= kMaxJsonKeys) {
      reject_record(
          fmt::format("the object has more than {0} keys; a row has at most {0}", kMaxJsonKeys));
      return;
    }
    for (std::size_t i = record_first_; i < entries_.size(); ++i) {
      if (entries_[i].key == key_) {
        reject_record(fmt::format("key \"{}\" appears twice in this object", key_));
        return;
      }
    }
    entries_.push_back({key_, value});
  }

  // Anything that is not a string or number value of a record (or true or false for a key
  // that takes them), nor a table, an object of tables, or a record, is an error; `what`
  // names it ("an array", "true").
  void misplaced(const TokenScanner::Token& token, std::string_view what) {
    if (depth_ == record_depth()) {
      reject_record(fmt::format("\"{}\" is {}; a value must be a string or a number", key_, what));
    } else if (depth_ == 0) {
      add_error(token.line, fmt::format("the input is {}; expected an array of objects, or "
                                        "an object whose members are arrays of objects",
                                        what));
    } else if (table_open_ && depth_ == table_depth_) {
      add_error(token.line, fmt::format("an element of the array is {}; expected an object", what));
    } else {
      add_error(token.line,
                fmt::format("member \"{}\" is {}; expected an array of objects", member_, what));
    }
  }

  // One error per object, at its `{`; the object is then skipped.
  void reject_record(std::string message) {
    if (record_bad_) return;
    record_bad_ = true;
    add_error(record_line_, std::move(message));
  }

  void add_error(std::uint32_t line, std::string message) {
    events_.push_back({Event::Kind::error, line, messages_.size(), 0});
    messages_.push_back(std::move(message));
  }

  void finish_record() {
    if (record_bad_) {
      entries_.resize(record_first_);
      return;
    }
    Table& table = tables_.back();
    for (std::size_t i = record_first_; i < entries_.size(); ++i) {
      if (table.columns.try_emplace(entries_[i].key, table.names.size()).second) {
        table.names.emplace_back(entries_[i].key);
      }
    }
    events_.push_back(
        {Event::Kind::record, record_line_, record_first_, entries_.size() - record_first_});
  }

  std::string_view text_;
  const RecordSink& sink_;
  TokenScanner scanner_;
  std::size_t depth_ = 0;        // containers open before the current token
  std::size_t table_depth_ = 1;  // depth of a table's elements: 1, or 2 in an object of tables
  bool table_open_ = false;
  std::size_t skip_depth_ = 0;  // non-zero while inside a rejected container
  std::string_view member_;     // the current member of an object of tables
  std::string_view key_;        // the current key of a record
  std::uint32_t record_line_ = 0;
  std::size_t record_first_ = 0;
  bool record_bad_ = false;
  std::vector<Table> tables_;
  std::vector<Entry> entries_;
  std::vector<Event> events_;
  std::vector<std::string> messages_;
  std::deque<std::string> owned_;  // unescaped strings; a deque never moves its elements
  std::optional<std::pair<std::uint32_t, std::string>> syntax_error_;
};

// The offset of the first string whose content, as written (escapes as they are), or the
// first number longer than kMaxJsonTokenBytes, or nullopt. One pass over the bytes before
// nlohmann parses, which would otherwise build the whole token in memory first.
std::optional<std::size_t> find_long_token(std::string_view text) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = text[i];
    const std::size_t start = i;
    if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
        if (i - start > kMaxJsonTokenBytes) return start;
      }
      ++i;
    } else if (TokenScanner::is_number_char(c)) {
      while (i < n && TokenScanner::is_number_char(text[i])) ++i;
      if (i - start > kMaxJsonTokenBytes) return start;
    } else {
      ++i;
    }
  }
  return std::nullopt;
}

}  // namespace

void read_json(std::string_view text, RecordSink& sink) {
  if (starts_with_utf16_bom(text)) {
    sink.error(0, "the input is UTF-16; save it as UTF-8");
    return;
  }
  text = skip_bom(text);
  if (const auto long_token = find_long_token(text)) {
    const bool string = text[*long_token] == '"';
    sink.error(TokenScanner(text).line_of(*long_token),
               fmt::format("a {} longer than {} KiB; a {} is at most {} KiB",
                           string ? "string" : "number", kMaxJsonTokenBytes / 1024,
                           string ? "string" : "number", kMaxJsonTokenBytes / 1024));
    return;
  }
  JsonCollector collector(text, sink);
  nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &collector);
  collector.emit(sink);
}

}  // namespace tiendo::store
