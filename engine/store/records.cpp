#include "store/records.hpp"

#include "store/records_text.hpp"

// The readers: records_csv.cpp and records_json.cpp.
namespace tiendo::store {

void read_records(std::string_view text, RecordSink& sink) {
  const std::string_view content = records_detail::skip_bom(text);
  const std::size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (content[first] == '[' || content[first] == '{')) {
    read_json(text, sink);
  } else {
    read_csv(text, sink);
  }
}

}  // namespace tiendo::store
