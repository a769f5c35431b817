#include "service/cron.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "util/text.hpp"

namespace tiendo::service {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kSearchDays = 8 * 366;

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdays = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

struct Field {
  std::string_view name;
  int low;
  int high;
  const std::string_view* names = nullptr;  // names[i] stands for low + i
  int name_count = 0;
};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::optional<int> value_of(std::string_view text, const Field& field) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  const std::string lower = util::ascii_lower(text);
  for (int i = 0; i < field.name_count; ++i) {
    if (field.names[i] == lower) return field.low + i;
  }
  return std::nullopt;
}

// Sets the values `text` names in `bits` (indexed by value); false with `error` set.
template <std::size_t N>
bool parse_field(std::string_view text, const Field& field, std::bitset<N>& bits,
                 std::string& error) {
  const auto fail = [&](const std::string& why) {
    error = fmt::format("{}: {}", field.name, why);
    return false;
  };
  if (text.empty()) return fail("empty");
  for (std::string_view part : split(text, ',')) {
    if (part.empty()) return fail(fmt::format("an empty item in '{}'", text));
    int step = 1;
    std::string_view range = part;
    if (const std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = part.substr(slash + 1);
      const auto [end, ec] =
          std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (ec != std::errc() || end != step_text.data() + step_text.size() || step < 1 ||
          step > field.high) {
        return fail(fmt::format("'{}' is not a step from 1 to {}", step_text, field.high));
      }
      range = part.substr(0, slash);
    }
    int first = field.low;
    int last = field.high;
    if (range != "*") {
      const std::size_t dash = range.find('-');
      const auto a = value_of(range.substr(0, dash), field);
      if (!a) return fail(fmt::format("'{}' is not a value", range.substr(0, dash)));
      first = *a;
      if (dash != std::string_view::npos) {
        const auto b = value_of(range.substr(dash + 1), field);
        if (!b) return fail(fmt::format("'{}' is not a value", range.substr(dash + 1)));
        last = *b;
      } else {
        // "5/15" runs from 5 to the end, as in Vixie cron; "5" alone is just 5.
        last = part.find('/') == std::string_view::npos ? first : field.high;
      }
      if (first < field.low || first > field.high || last < field.low || last > field.high) {
        return fail(fmt::format("'{}' is outside {}-{}", range, field.low, field.high));
      }
      if (first > last) return fail(fmt::format("'{}' runs backwards", range));
    }
    for (int v = first; v <= last; v += step) bits.set(static_cast<std::size_t>(v));
  }
  return true;
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@hourly") return "0 * * * *";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  return text;
}

// The UTC time of a local time in `zone`: nullopt when a clock change skips it, the
// first occurrence when one repeats it.
std::optional<std::chrono::sys_seconds> to_utc(date::local_seconds local,
                                               const date::time_zone* zone) {
  const date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return std::nullopt;
  return std::chrono::sys_seconds{local.time_since_epoch() - info.first.offset};
}

}  // namespace

std::optional<CronSchedule> CronSchedule::parse(std::string_view text, std::string& error) {
  CronSchedule s;
  s.text_ = std::string(text);
  std::string_view trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.remove_suffix(1);
  }
  const std::string_view expanded = expand_macro(trimmed);
  if (!expanded.empty() && expanded.front() == '@') {
    error = fmt::format(
        "unknown schedule '{}' (known: @hourly, @daily, @weekly, @monthly, @yearly)", expanded);
    return std::nullopt;
  }
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < expanded.size()) {
    while (i < expanded.size() && std::isspace(static_cast<unsigned char>(expanded[i]))) ++i;
    const std::size_t start = i;
    while (i < expanded.size() && !std::isspace(static_cast<unsigned char>(expanded[i]))) ++i;
    if (i > start) fields.push_back(expanded.substr(start, i - start));
  }
  if (fields.size() != 5) {
    error = fmt::format(
        "a schedule has five fields (minute hour day-of-month month day-of-week), '{}' has {}",
        text, fields.size());
    return std::nullopt;
  }
  std::bitset<8> weekdays;
  if (!parse_field(fields[0], {"minute", 0, 59}, s.minutes_, error) ||
      !parse_field(fields[1], {"hour", 0, 23}, s.hours_, error) ||
      !parse_field(fields[2], {"day of month", 1, 31}, s.days_, error) ||
      !parse_field(fields[3], {"month", 1, 12, kMonths.data(), 12}, s.months_, error) ||
      !parse_field(fields[4], {"day of week", 0, 7, kWeekdays.data(), 7}, weekdays, error)) {
    return std::nullopt;
  }
  for (std::size_t d = 0; d < 7; ++d) s.weekdays_[d] = weekdays[d];
  if (weekdays[7]) s.weekdays_[0] = true;  // 7 is Sunday too
  // Vixie cron: a field that starts with '*' does not restrict the day.
  s.any_day_ = fields[2].front() == '*';
  s.any_weekday_ = fields[4].front() == '*';
  return s;
}

bool CronSchedule::day_matches(std::chrono::year_month_day day) const {
  if (!months_[static_cast<unsigned>(day.month())]) return false;
  const bool by_day = days_[static_cast<unsigned>(day.day())];
  const bool by_weekday = weekdays_[std::chrono::weekday(std::chrono::sys_days(day)).c_encoding()];
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return by_weekday;
  if (any_weekday_) return by_day;
  return by_day || by_weekday;
}

std::optional<std::chrono::sys_seconds> CronSchedule::next(std::chrono::sys_seconds after,
                                                           const date::time_zone* zone) const {
  const date::local_seconds local_after = zone->to_local(after);
  const auto first_day = std::chrono::floor<days>(local_after);
  // From the day before: an offset change can put a later instant on an earlier day.
  for (int d = -1; d <= kSearchDays; ++d) {
    const date::local_days day = first_day + days(d);
    const std::chrono::year_month_day ymd{std::chrono::sys_days(day.time_since_epoch())};
    if (!day_matches(ymd)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[static_cast<std::size_t>(h)]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[static_cast<std::size_t>(m)]) continue;
        const date::local_seconds local = day + hours(h) + minutes(m);
        if (local + hours(26) < local_after) continue;  // far before, whatever the offset
        const auto utc = to_utc(local, zone);
        if (utc && *utc > after) return utc;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::sys_seconds> CronSchedule::previous(std::chrono::sys_seconds at,
                                                               const date::time_zone* zone) const {
  const date::local_seconds local_at = zone->to_local(at);
  const auto last_day = std::chrono::floor<days>(local_at);
  for (int d = -1; d <= kSearchDays; ++d) {
    const date::local_days day = last_day - days(d);
    const std::chrono::year_month_day ymd{std::chrono::sys_days(day.time_since_epoch())};
    if (!day_matches(ymd)) continue;
    for (int h = 23; h >= 0; --h) {
      if (!hours_[static_cast<std::size_t>(h)]) continue;
      for (int m = 59; m >= 0; --m) {
        if (!minutes_[static_cast<std::size_t>(m)]) continue;
        const date::local_seconds local = day + hours(h) + minutes(m);
        if (local > local_at + hours(26)) continue;
        const auto utc = to_utc(local, zone);
        if (utc && *utc <= at) return utc;
      }
    }
  }
  return std::nullopt;
}

}  // namespace tiendo::service
