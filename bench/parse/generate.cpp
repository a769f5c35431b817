#include "generate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <string_view>
#include <vector>

namespace tiendo::bench {

namespace {

namespace chrono = std::chrono;

// splitmix64: tiny, and its output is fixed by its definition.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // In [0, n); the modulo bias is irrelevant here.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  int between(int low, int high) { return low + static_cast<int>(below(high - low + 1)); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  template <typename Container>
  const auto& pick(const Container& items) {
    return items[below(std::size(items))];
  }

 private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 11> kDistricts = {
    "Biên Hòa", "Long Khánh", "Nhơn Trạch", "Trảng Bom", "Vĩnh Cửu",  "Xuân Lộc",
    "Cẩm Mỹ",   "Thống Nhất", "Định Quán",  "Tân Phú",   "Long Thành"};

constexpr std::array<std::string_view, 8> kPercentSubjects = {
    "hồ sơ thủ tục hành chính xử lý trực tuyến",
    "dân số có điện thoại thông minh",
    "hộ gia đình có cáp quang băng rộng",
    "doanh nghiệp sử dụng hóa đơn điện tử",
    "cơ quan cung cấp dữ liệu mở",
    "báo cáo thực hiện trực tuyến",
    "người dân có tài khoản ngân hàng",
    "hồ sơ được số hóa"};

constexpr std::array<std::string_view, 4> kCountSubjects = {
    "Tổ công nghệ số cộng đồng", "điểm phát Wi-Fi công cộng", "lớp tập huấn chuyển đổi số",
    "doanh nghiệp công nghệ số"};

constexpr std::array<std::string_view, 4> kNumberSubjects = {
    "Doanh thu thương mại điện tử", "Tổng mức bán lẻ", "Số giao dịch không dùng tiền mặt",
    "Lượt truy cập Cổng dịch vụ công"};

constexpr std::array<std::string_view, 5> kGroups = {
    "Phát triển hạ tầng số", "Phát triển chính quyền số", "Phát triển kinh tế số",
    "Phát triển xã hội số", "An toàn thông tin mạng"};

constexpr std::array<std::string_view, 5> kOwners = {
    "Sở Thông tin và Truyền thông", "Văn phòng UBND tỉnh", "Sở Công Thương",
    "Sở Kế hoạch và Đầu tư", "UBND các huyện, thành phố"};

// Every date form of the language, for `date` (a day between 2022 and 2026).
std::string format_date(chrono::sys_days day, int form) {
  const chrono::year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  switch (form) {
    case 0:
      return fmt::format("{}/{}/{}", d, m, y);
    case 1:
      return fmt::format("{:02}/{:02}/{}", d, m, y);
    case 2:
      return fmt::format("{}-Q{}", y, (m + 2) / 3);
    case 3:
      return fmt::format("Q{}/{}", (m + 2) / 3, y);
    case 4:
      return fmt::format("{}-{:02}", y, m);
    case 5:
      return fmt::format("{}", y);
    default:
      return fmt::format("{}-{:02}-{:02}", y, m, d);
  }
}

constexpr chrono::sys_days kStart = chrono::sys_days{chrono::year{2022} / 1 / 31};

class Generator {
 public:
  explicit Generator(const GenerateOptions& options)
      : random_(options.seed),
        rules_(std::max<std::size_t>(options.rules, 1)),
        per_kind_(std::max<std::size_t>(rules_ / 10, 1)),
        plans_(std::max<std::size_t>(rules_ / 20, 2)),
        tasks_(std::max<std::size_t>(rules_ / 10, 2)),
        channels_(std::max<std::size_t>(rules_ / 1000, 2)) {}

  std::string run() {
    out_.reserve(rules_ * 160);
    out_ += "# Bộ quy tắc tổng hợp cho đo hiệu năng (synthetic benchmark rule set)\n";
    out_ += "levels province > district > commune\n\n";
    indicators();
    plans();
    tasks();
    channels();
    for (std::size_t i = 0; i < rules_; ++i) rule(i);
    return std::move(out_);
  }

 private:
  // Percent indicators are pct_N, counts cnt_N, numbers num_N.
  std::string indicator_name(char kind, std::size_t i) const {
    const char* prefix = kind == 'p' ? "pct" : kind == 'c' ? "cnt" : "num";
    return fmt::format("{}_{}", prefix, i);
  }
  std::string any_indicator(char kind) { return indicator_name(kind, random_.below(per_kind_)); }

  void indicators() {
    for (std::size_t i = 0; i < per_kind_; ++i) {
      fmt::format_to(std::back_inserter(out_),
                     "indicator {} {{ title \"Tỷ lệ {} {}\" unit percent stale after 120d }}\n",
                     indicator_name('p', i), random_.pick(kPercentSubjects), i);
      fmt::format_to(std::back_inserter(out_), "indicator {} {{ title \"Số {} {}\" unit count }}\n",
                     indicator_name('c', i), random_.pick(kCountSubjects), i);
      fmt::format_to(
          std::back_inserter(out_), "indicator {} {{ title \"{} {}\" unit number owner \"{}\" }}\n",
          indicator_name('n', i), random_.pick(kNumberSubjects), i, random_.pick(kOwners));
    }
    out_ += '\n';
  }

  // Chains of four: each plan implements the one before it in its chain, and now and
  // then also the one before that.
  void plans() {
    for (std::size_t i = 0; i < plans_; ++i) {
      fmt::format_to(std::back_inserter(out_),
                     "plan KH{} {{\n  title \"Kế hoạch số {}/KH-UBND về chuyển đổi số\"\n"
                     "  issued {}\n",
                     i, i + 1,
                     format_date(kStart + chrono::days(random_.between(0, 300)),
                                 static_cast<int>(i % 2) == 0 ? 6 : 1));
      const std::size_t in_chain = i % 4;
      if (in_chain >= 2 && random_.chance(30)) {
        fmt::format_to(std::back_inserter(out_), "  implements KH{}, KH{}\n", i - 1, i - 2);
      } else if (in_chain >= 1) {
        fmt::format_to(std::back_inserter(out_), "  implements KH{}\n", i - 1);
      }
      out_ += "}\n";
    }
    out_ += '\n';
  }

  // Due dates never decrease with the index and `after` only names earlier tasks, so
  // the graph is acyclic and no task comes after one that is due later.
  void tasks() {
    const int span_days = 4 * 365;
    for (std::size_t i = 0; i < tasks_; ++i) {
      const auto due = kStart + chrono::days(static_cast<int>(i * span_days / tasks_));
      fmt::format_to(std::back_inserter(out_),
                     "task t{} {{ title \"Nhiệm vụ {} tại {}\" part_of KH{}", i, i,
                     random_.pick(kDistricts), random_.below(plans_));
      if (i > 0 && random_.chance(70)) {
        const std::size_t window = std::min<std::size_t>(i, 20);
        const std::size_t first = i - 1 - random_.below(window);
        const std::size_t second = i - 1 - random_.below(window);
        if (first != second && random_.chance(30)) {
          fmt::format_to(std::back_inserter(out_), " after t{}, t{}", first, second);
        } else {
          fmt::format_to(std::back_inserter(out_), " after t{}", first);
        }
      }
      fmt::format_to(std::back_inserter(out_), " due {} duration {}d }}\n",
                     format_date(due, static_cast<int>(i % 3) == 0 ? 0 : 6),
                     random_.between(1, 90));
    }
    out_ += '\n';
  }

  void channels() {
    out_ += "channel default { email \"stttt@dongnai.gov.vn\" }\n";
    for (std::size_t i = 0; i < channels_; ++i) {
      if (i % 2 == 0) {
        fmt::format_to(std::back_inserter(out_),
                       "channel ch{} {{ email \"cds{}@dongnai.gov.vn\" }}\n", i, i);
      } else {
        fmt::format_to(std::back_inserter(out_),
                       "channel ch{} {{ webhook \"http://127.0.0.1:9099/hook/{}\" }}\n", i, i);
      }
    }
    out_ += '\n';
  }

  std::string deadline() {
    const auto day = kStart + chrono::days(random_.between(0, 3 * 365));
    return format_date(day, random_.between(0, 9));
  }

  void rule(std::size_t i) {
    if (random_.chance(10)) {
      fmt::format_to(std::back_inserter(out_), "# Chỉ tiêu {}: {}\n", i, random_.pick(kGroups));
    }
    std::string require;
    std::string title;
    bool by = false;
    const std::string pct = any_indicator('p');
    switch (random_.below(10)) {
      case 0:
      case 1:
      case 2:
        require = fmt::format("{} >= {}% by {}", pct, random_.between(30, 100), deadline());
        title = fmt::format("Tỷ lệ {} đạt mục tiêu", random_.pick(kPercentSubjects));
        by = true;
        break;
      case 3:
        require = fmt::format("{} >= {}% from {} for each district", pct, random_.between(50, 100),
                              deadline());
        title = "Mỗi huyện đạt chỉ tiêu từ ngày áp dụng";
        break;
      case 4: {
        const std::string cnt = any_indicator('c');
        switch (random_.below(3)) {
          case 0:
            require = fmt::format("sum({}, commune) >= {} by {}", cnt, random_.between(10, 500),
                                  deadline());
            by = true;
            break;
          case 1:
            require = fmt::format("count({}, commune) >= {} for each district", cnt,
                                  random_.between(1, 20));
            break;
          default:
            require = fmt::format("avg({}, commune) >= {}.5% by {}", pct, random_.between(10, 90),
                                  deadline());
            by = true;
        }
        title = fmt::format("Tổng hợp cấp xã tại {}", random_.pick(kDistricts));
        break;
      }
      case 5:
        require = fmt::format("share(commune, {} >= 1) >= {}% by {}{}", any_indicator('c'),
                              random_.between(50, 100), deadline(),
                              random_.chance(50) ? " for each district" : "");
        title = "Tỷ lệ xã có Tổ công nghệ số cộng đồng";
        by = true;
        break;
      case 6:
        require = fmt::format("ratio({}, {}) >= {}% by {}", any_indicator('n'), any_indicator('n'),
                              random_.between(1, 20), deadline());
        title = "Tỷ trọng doanh thu thương mại điện tử trong tổng mức bán lẻ";
        by = true;
        break;
      case 7:
        require = fmt::format("{} between {}% and 100% from {}", pct, random_.between(40, 90),
                              deadline());
        title = "Giữ trong khoảng cho phép";
        break;
      case 8:
        require =
            fmt::format("({} - {}) / ({} + 1) >= 0.{} by {}", any_indicator('n'),
                        any_indicator('n'), any_indicator('n'), random_.between(1, 9), deadline());
        title = "Tăng trưởng so với cùng kỳ";
        by = true;
        break;
      default:
        require = fmt::format("{} >= {}%", pct, random_.between(50, 100));
        title = fmt::format("Duy trì {}", random_.pick(kPercentSubjects));
    }
    fmt::format_to(std::back_inserter(out_), "rule r{} {{\n", i);
    if (random_.chance(45)) fmt::format_to(std::back_inserter(out_), "  title \"{}\"\n", title);
    fmt::format_to(std::back_inserter(out_), "  require {}\n", require);
    if (random_.chance(20)) {
      fmt::format_to(std::back_inserter(out_), "  needs t{}\n", random_.below(tasks_));
    }
    if (by && random_.chance(30)) {
      fmt::format_to(std::back_inserter(out_), "  warn within {}d\n", random_.between(14, 90));
    }
    if (random_.chance(25)) {
      out_ += random_.chance(50) ? "  severity critical\n" : "  severity warning\n";
    }
    if (random_.chance(20)) {
      fmt::format_to(std::back_inserter(out_), "  notify ch{}\n", random_.below(channels_));
    }
    if (random_.chance(5)) {
      out_ += "  message \"{title}: {value} (mục tiêu {target}, hạn {deadline})\"\n";
    }
    // A row number in the report, unique: `label group` on some rules only would warn of
    // the others (W107), and the generated rule set checks without warnings.
    if (random_.chance(30)) {
      fmt::format_to(std::back_inserter(out_), "  label stt = \"{}\"\n", i + 1);
    }
    out_ += "}\n";
  }

  Random random_;
  std::size_t rules_;
  std::size_t per_kind_;
  std::size_t plans_;
  std::size_t tasks_;
  std::size_t channels_;
  std::string out_;
};

}  // namespace

std::string generate_rule_set(const GenerateOptions& options) { return Generator(options).run(); }

}  // namespace tiendo::bench
