// CSV reader throughput: `store::read_csv` over generated observation rows in memory.
//
//   bench_records [--rows N] [--repeat R]     (defaults: 1000000, 5)
//
// The rows look like `online_dossier_rate,xa_0001,2022-Q3,"77,62%"` (a quoted value with
// the decimal comma, as spreadsheets write it). Prints the text's size, the best and
// median time of R runs on one thread, and the throughput in MB/s (1 MB = 10^6 bytes) and
// rows/s. Figures only: a shared machine's timings are not pass/fail, so the only failure
// is a reader error or a wrong row count.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace {

using Clock = std::chrono::steady_clock;

class CountingSink : public tiendo::store::RecordSink {
 public:
  bool header(const std::vector<std::string>& names, std::uint32_t /*line*/) override {
    columns_ = names.size();
    return true;
  }
  bool record(const std::vector<std::string_view>& fields, std::uint32_t line) override {
    ++records;
    // Touches every field so that nothing can be optimised away.
    for (const std::string_view field : fields) bytes += field.size();
    last_line = line;
    return fields.size() == columns_;
  }
  void error(std::uint32_t line, std::string message) override {
    if (errors++ == 0) std::fprintf(stderr, "line %u: %s\n", line, message.c_str());
  }

  std::size_t records = 0;
  std::size_t errors = 0;
  std::size_t bytes = 0;
  std::uint32_t last_line = 0;

 private:
  std::size_t columns_ = 0;
};

std::string generate(std::size_t rows) {
  static constexpr std::string_view kIndicators[] = {
      "online_dossier_rate", "smartphone_rate", "open_data_agency_rate", "cashless_payment_rate",
      "digital_signature_rate"};
  static constexpr std::string_view kQuarters[] = {"Q1", "Q2", "Q3", "Q4"};
  std::string text = "indicator,unit,period,value\n";
  text.reserve(rows * 48 + 32);
  for (std::size_t i = 0; i < rows; ++i) {
    fmt::format_to(std::back_inserter(text), "{},xa_{:04},{}-{},\"{},{:02}%\"\n",
                   kIndicators[i % 5], i % 10000 + 1, 2020 + i / 40000 % 4, kQuarters[i % 4],
                   i * 7 % 100, i * 13 % 100);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 1000000;
  std::size_t repeat = 5;
  CLI::App app{"bench_records: CSV reading throughput"};
  app.add_option("--rows", rows, "Rows to generate")->check(CLI::Range(1, 1000000000));
  app.add_option("--repeat", repeat, "Timed runs")->check(CLI::Range(1, 1000000000));
  CLI11_PARSE(app, argc, argv);

  const std::string text = generate(rows);
  std::vector<double> seconds;
  for (std::size_t run = 0; run < repeat; ++run) {
    CountingSink sink;
    const auto start = Clock::now();
    tiendo::store::read_csv(text, sink);
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    if (sink.errors != 0 || sink.records != rows || sink.last_line != rows + 1) {
      std::fprintf(stderr, "bench_records: %zu records, %zu errors; expected %zu records\n",
                   sink.records, sink.errors, rows);
      return 1;
    }
  }
  std::sort(seconds.begin(), seconds.end());
  const double best = seconds.front();
  const double median = seconds[seconds.size() / 2];
  const double mb = static_cast<double>(text.size()) / 1e6;
  fmt::print("read_csv: {} rows, {:.1f} MB, {} runs\n", rows, mb, repeat);
  fmt::print("  best   {:8.1f} ms  {:7.0f} MB/s  {:6.2f} M rows/s\n", best * 1e3, mb / best,
             static_cast<double>(rows) / best / 1e6);
  fmt::print("  median {:8.1f} ms  {:7.0f} MB/s  {:6.2f} M rows/s\n", median * 1e3, mb / median,
             static_cast<double>(rows) / median / 1e6);
  return 0;
}
