#include "alert/message.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/committee.hpp"

namespace tiendo::alert {

namespace {

using model::Severity;
using report::format_number;
using report::format_percent;
using report::html_escape;
// Keys in the order the documentation lists them, so that a body reads like its schema.
using Json = nlohmann::ordered_json;

constexpr std::string_view kBrand = "tiendo";
constexpr std::string_view kSchema = "tiendo.alerts/v1";
// Firing alerts pushed to an Alertmanager stay active this long: past the next nightly
// run with a day to spare, and they expire on their own if the runs stop.
constexpr std::chrono::hours kPushLease{48};
// What Alertmanager puts in a firing alert's endsAt when it calls a webhook.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

// ---------------------------------------------------------------------------------------
// Words and figures

// As the committee's report writes dates (administrative style: "30/9/2022").
std::string vi_date(model::Date date) { return report::format_date(date); }

// A figure that can be shown: present and finite (the evaluator never makes NaN, but a
// message must not say "nan" if one ever comes).
std::optional<double> shown(const std::optional<double>& figure) {
  if (figure && std::isfinite(*figure)) return figure;
  return std::nullopt;
}

std::string_view kind_name(NotifyKind kind) {
  switch (kind) {
    case NotifyKind::fired:
      return "mới";
    case NotifyKind::changed:
      return "thay đổi";
    case NotifyKind::repeated:
      return "nhắc lại";
    case NotifyKind::resolved:
      return "đã khắc phục";
  }
  return "mới";
}

// What an item is, for people: its kind, or for a task shown only to carry the alerts it
// holds back, that it is their root cause.
std::string kind_text(const Notification& n) {
  return n.context ? std::string("nguyên nhân của các cảnh báo dưới đây")
                   : std::string(kind_name(n.kind));
}

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::critical:
      return "nghiêm trọng";
    case Severity::warning:
      return "cảnh báo";
    case Severity::info:
      return "thông tin";
    case Severity::none:
      return "";
  }
  return "";
}

std::string_view level_name(Severity severity) {
  switch (severity) {
    case Severity::critical:
      return "NGHIÊM TRỌNG";
    case Severity::warning:
      return "CẢNH BÁO";
    case Severity::info:
      return "THÔNG TIN";
    case Severity::none:
      return "";
  }
  return "";
}

int rank(Severity severity) {
  switch (severity) {
    case Severity::none:
      return 0;
    case Severity::info:
      return 1;
    case Severity::warning:
      return 2;
    case Severity::critical:
      return 3;
  }
  return 0;
}

// The evaluator's state names (eval::to_string) in Vietnamese; a name this table does not
// know is shown as it is rather than hidden.
std::string state_name(Subject subject, std::string_view state) {
  struct Name {
    std::string_view state, rule, task;
  };
  static constexpr Name kNames[] = {
      {"met", "đạt", "đạt"},
      {"on_track", "đúng tiến độ", "đúng tiến độ"},
      {"at_risk", "có nguy cơ", "có nguy cơ"},
      {"missed", "không đạt", "không đạt"},
      {"not_yet", "chưa đến hạn", "chưa đến hạn"},
      {"ok", "đạt", "đạt"},
      {"violated", "vi phạm", "vi phạm"},
      {"no_data", "chưa có số liệu", "chưa có số liệu"},
      {"stale", "số liệu cũ", "số liệu cũ"},
      {"blocked", "bị chặn", "bị chặn"},
      {"error", "lỗi", "lỗi"},
      {"overdue", "quá hạn", "quá hạn"},
      {"no_report", "chưa báo cáo", "chưa báo cáo"},
      {"done", "hoàn thành", "hoàn thành"},
      {"done_late", "hoàn thành trễ hạn", "hoàn thành trễ hạn"},
      {"cancelled", "đã hủy", "đã hủy"},
      // reconcile's state for an alert whose rule, unit or task is gone
      {"resolved", "không còn theo dõi", "không còn theo dõi"},
  };
  for (const Name& n : kNames) {
    if (n.state == state) return std::string(subject == Subject::rule ? n.rule : n.task);
  }
  return std::string(state);
}

// How a state is coloured: bad, needs attention, fine, or nothing to judge.
enum class Tone { bad, warn, good, neutral };

Tone tone(std::string_view state) {
  if (state == "missed" || state == "violated" || state == "error" || state == "overdue") {
    return Tone::bad;
  }
  if (state == "at_risk" || state == "blocked" || state == "stale" || state == "no_data" ||
      state == "no_report") {
    return Tone::warn;
  }
  if (state == "met" || state == "ok" || state == "on_track" || state == "done" ||
      state == "done_late") {
    return Tone::good;
  }
  return Tone::neutral;
}

std::string display_name(const AlertFacts& a) { return a.title.empty() ? a.name : a.title; }

std::string value_text(const AlertFacts& a, double value) {
  return a.percent ? format_percent(value) : format_number(value);
}

// A rate of change per month; percent rules change by percentage points.
std::string rate_text(const AlertFacts& a, double rate) {
  const std::string magnitude = format_number(std::abs(rate) * (a.percent ? 100 : 1));
  const std::string_view sign = magnitude == "0" ? "" : rate < 0 ? "-" : "+";
  return fmt::format("{}{}{}", sign, magnitude, a.percent ? " điểm %/tháng" : "/tháng");
}

std::string target_text(const AlertFacts& a) {
  const auto target = shown(a.target), upper = shown(a.upper);
  if (target && upper) return "từ " + value_text(a, *target) + " đến " + value_text(a, *upper);
  if (target) return value_text(a, *target);
  if (upper) return "tối đa " + value_text(a, *upper);
  return {};
}

std::string plan_text(const AlertFacts& a) {
  std::string text = a.plan_code.empty() ? a.plan : a.plan_code;
  if (!a.plan_title.empty()) text += (text.empty() ? "" : " – ") + a.plan_title;
  return text;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += separator;
    text += part;
  }
  return text;
}

std::string chain_text(const AlertFacts& a) { return joined(a.chain, " ← "); }

std::string capitalized(std::string text) {
  // The labels and words capitalized here start with an ASCII letter or with "đ".
  constexpr std::string_view kSmallD = "đ", kCapitalD = "Đ";
  if (text.starts_with(kSmallD)) return std::string(kCapitalD) + text.substr(kSmallD.size());
  if (!text.empty() && static_cast<unsigned char>(text[0]) < 0x80) {
    text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// The first day of the episode: for a resolution, when the problem began.
std::string since_text(const Notification& n) {
  if (!n.since) return {};
  return (n.kind == NotifyKind::resolved ? "phát sinh từ " : "từ ") + vi_date(*n.since);
}

// ---------------------------------------------------------------------------------------
// What one notification says, shared by the text and the HTML.

struct Entry {
  std::string label;  // lower case: "giá trị"
  std::string text;
};

struct Parts {
  std::string heading;              // "Tỷ lệ hồ sơ trực tuyến – Đồng Nai"
  std::vector<std::string> status;  // "mới", "nghiêm trọng", "có nguy cơ", "từ 01/09/2022"
  std::string message;              // may span lines
  std::vector<Entry> figures;       // one line
  std::vector<Entry> rates;         // one line
  std::vector<Entry> context;       // a line each
};

Parts parts_of(const Notification& n) {
  const AlertFacts& a = n.alert;
  Parts p;
  p.heading = (a.subject == Subject::task ? "Nhiệm vụ: " : "") + display_name(a);
  if (!a.unit_name.empty()) {
    p.heading += " – " + a.unit_name;
  } else if (!a.unit.empty()) {
    p.heading += " – " + a.unit;
  }

  p.status.push_back(kind_text(n));
  if (a.severity != Severity::none) p.status.push_back(std::string(severity_name(a.severity)));
  p.status.push_back(state_name(a.subject, a.state));
  if (n.since) p.status.push_back(since_text(n));
  if (n.silenced) p.status.push_back("đang tắt thông báo");

  p.message = a.message;
  while (p.message.ends_with('\n')) p.message.pop_back();

  if (const auto v = shown(a.value)) p.figures.push_back({"giá trị", value_text(a, *v)});
  if (std::string t = target_text(a); !t.empty()) p.figures.push_back({"mục tiêu", t});
  if (a.deadline) p.figures.push_back({"hạn", vi_date(*a.deadline)});
  if (a.earliest_finish) p.figures.push_back({"sớm nhất xong", vi_date(*a.earliest_finish)});
  if (const auto v = shown(a.projected)) p.figures.push_back({"dự báo", value_text(a, *v)});

  if (const auto r = shown(a.rate_needed)) p.rates.push_back({"tốc độ cần", rate_text(a, *r)});
  if (const auto r = shown(a.rate_observed)) {
    p.rates.push_back({"tốc độ hiện tại", rate_text(a, *r)});
  }

  if (!a.units.empty()) p.context.push_back({"đơn vị", a.units});
  if (!a.basis.empty()) p.context.push_back({"căn cứ", a.basis});
  if (!a.chain.empty()) p.context.push_back({"bị chặn theo chuỗi", chain_text(a)});
  // The evaluator's reason is English; the rule's message, when it has one, says it for
  // people. Without one the reason is the only explanation there is.
  if (a.message.empty() && !a.reason.empty()) p.context.push_back({"chi tiết", a.reason});
  if (!a.note.empty()) p.context.push_back({"ghi chú báo cáo", a.note});
  if (std::string plan = plan_text(a); !plan.empty()) p.context.push_back({"kế hoạch", plan});
  if (!a.owner.empty()) p.context.push_back({"phụ trách", a.owner});
  std::string source = (a.subject == Subject::rule ? "quy tắc " : "nhiệm vụ ") + a.name;
  if (!a.source.empty()) source += ", " + a.source;
  p.context.push_back({"nguồn", source});
  return p;
}

// Counts in the order the summary names them.
std::vector<std::string> count_parts(const Digest& d) {
  std::vector<std::string> parts;
  const auto add = [&](int count, std::string_view words) {
    if (count > 0) parts.push_back(fmt::format("{} {}", format_number(count), words));
  };
  add(d.fired, "cảnh báo mới");
  add(d.changed, "thay đổi");
  add(d.repeated, "nhắc lại");
  add(d.resolved, "đã khắc phục");
  return parts;
}

std::string summary_line(const Digest& d) {
  const std::vector<std::string> parts = count_parts(d);
  return vi_date(d.at) + ": " +
         (parts.empty() ? std::string("không có gì mới") : joined(parts, ", "));
}

// The most severe level among what fires (held-back alerts included); resolutions do
// not raise the alarm.
Severity firing_level(const std::vector<Notification>& items) {
  Severity level = Severity::none;
  for (const Notification& n : items) {
    if (n.kind != NotifyKind::resolved && rank(n.alert.severity) > rank(level)) {
      level = n.alert.severity;
    }
    const Severity inner = firing_level(n.held_back);
    if (rank(inner) > rank(level)) level = inner;
  }
  return level;
}

std::string footer(const Digest& d) {
  return fmt::format("{} · kênh {} · lần chạy {}", kBrand, d.channel, d.run_id);
}

// ---------------------------------------------------------------------------------------
// Plain text

std::string entries_line(const std::vector<Entry>& entries) {
  std::string line;
  for (const Entry& e : entries) {
    line += (line.empty() ? capitalized(e.label) : "; " + e.label) + ": " + e.text;
  }
  return line;
}

void text_item(std::string& out, const Notification& n, const std::string& first_prefix,
               const std::string& indent) {
  const Parts p = parts_of(n);
  out += first_prefix + p.heading + "\n";
  out += indent + capitalized(joined(p.status, " · ")) + "\n";
  if (!p.message.empty()) {
    std::size_t start = 0;
    while (start <= p.message.size()) {
      const std::size_t end = std::min(p.message.find('\n', start), p.message.size());
      out += indent + p.message.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  if (!p.figures.empty()) out += indent + entries_line(p.figures) + "\n";
  if (!p.rates.empty()) out += indent + entries_line(p.rates) + "\n";
  for (const Entry& e : p.context) out += indent + capitalized(e.label) + ": " + e.text + "\n";
  if (!n.held_back.empty()) {
    out += indent + fmt::format("Cảnh báo bị giữ lại vì nhiệm vụ này ({}):\n",
                                format_number(static_cast<double>(n.held_back.size())));
    for (const Notification& h : n.held_back) text_item(out, h, indent + "- ", indent + "  ");
  }
}

std::string text_body(const Digest& d) {
  std::string out = summary_line(d) + "\n";
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    out += "\n";
    const std::string number = fmt::format("{}. ", i + 1);
    text_item(out, d.items[i], number, std::string(number.size(), ' '));
  }
  out += "\n-- \n" + footer(d) + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// HTML: one document with inline styles only, since mail clients drop style sheets and
// must not fetch anything.

std::string_view tone_style(Tone t) {
  switch (t) {
    case Tone::bad:
      return "background:#fdecea;color:#b71c1c;border:1px solid #f5c2c0";
    case Tone::warn:
      return "background:#fff4e5;color:#8a4b00;border:1px solid #ffd8a8";
    case Tone::good:
      return "background:#e8f5e9;color:#1b5e20;border:1px solid #b9dfbb";
    case Tone::neutral:
      return "background:#eceff1;color:#37474f;border:1px solid #cfd8dc";
  }
  return "";
}

std::string_view severity_colour(Severity severity) {
  switch (severity) {
    case Severity::critical:
      return "#b71c1c";
    case Severity::warning:
      return "#b35c00";
    case Severity::info:
      return "#1565c0";
    case Severity::none:
      return "#616161";
  }
  return "#616161";
}

constexpr std::string_view kBadge =
    "display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;white-space:nowrap";

std::string html_badge(const AlertFacts& a) {
  return fmt::format("<span style=\"{};{}\">{}</span>", kBadge, tone_style(tone(a.state)),
                     html_escape(state_name(a.subject, a.state)));
}

std::string html_severity(Severity severity) {
  if (severity == Severity::none) return {};
  return fmt::format("<span style=\"color:{};font-weight:bold\">{}</span>",
                     severity_colour(severity), html_escape(severity_name(severity)));
}

std::string html_multiline(std::string_view text) {
  std::string out;
  for (char c : html_escape(text)) {
    if (c == '\n') {
      out += "<br>";
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_entries(const std::vector<Entry>& entries) {
  std::string out;
  for (const Entry& e : entries) {
    out +=
        fmt::format("{}<span style=\"color:#616161\">{}:</span> {}", out.empty() ? "" : "; ",
                    html_escape(out.empty() ? capitalized(e.label) : e.label), html_escape(e.text));
  }
  return "<div>" + out + "</div>";
}

std::string html_details(const Notification& n);

std::string html_held_back(const Notification& n) {
  if (n.held_back.empty()) return {};
  std::string out = fmt::format(
      "<div style=\"margin-top:8px;padding-left:10px;border-left:3px solid #cfd8dc\">"
      "<div style=\"font-weight:bold\">Cảnh báo bị giữ lại vì nhiệm vụ này ({}):</div>"
      "<ul style=\"margin:4px 0;padding-left:18px\">",
      format_number(static_cast<double>(n.held_back.size())));
  for (const Notification& h : n.held_back) {
    const std::string severity = html_severity(h.alert.severity);
    out += fmt::format("<li style=\"margin:6px 0\"><div>{} · {}{} {}</div>{}</li>",
                       html_escape(capitalized(std::string(kind_name(h.kind)))), severity,
                       severity.empty() ? "" : " ·", html_badge(h.alert), html_details(h));
  }
  return out + "</ul></div>";
}

std::string html_details(const Notification& n) {
  const Parts p = parts_of(n);
  std::string out = fmt::format("<div style=\"font-weight:bold;font-size:15px\">{}</div>",
                                html_escape(p.heading));
  std::vector<std::string> when;
  if (n.since) when.push_back(since_text(n));
  if (n.silenced) when.push_back("đang tắt thông báo");
  if (!when.empty()) {
    out += fmt::format("<div style=\"color:#616161;font-size:12px\">{}</div>",
                       html_escape(joined(when, " · ")));
  }
  if (!p.message.empty()) {
    out += fmt::format("<div style=\"margin:4px 0\">{}</div>", html_multiline(p.message));
  }
  if (!p.figures.empty()) out += html_entries(p.figures);
  if (!p.rates.empty()) out += html_entries(p.rates);
  for (const Entry& e : p.context) out += html_entries({e});
  return out + html_held_back(n);
}

constexpr std::string_view kCell = "padding:8px;vertical-align:top;border-top:1px solid #e0e0e0";
constexpr std::string_view kHead =
    "padding:6px 8px;text-align:left;font-size:12px;color:#616161;border-bottom:2px solid #bdbdbd";

std::string html_body(const Digest& d, const std::string& subject) {
  const Severity level = firing_level(d.items);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n</head>\n"
      "<body style=\"margin:0;padding:16px;background:#f5f5f5;color:#212121;"
      "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45\">\n"
      "<div style=\"max-width:860px;margin:0 auto;padding:16px 20px;background:#ffffff;"
      "border:1px solid #e0e0e0\">\n",
      html_escape(subject));
  out += "<h1 style=\"margin:0 0 12px;font-size:18px\">";
  if (level != Severity::none) {
    out += fmt::format("<span style=\"color:{}\">{}</span> – ", severity_colour(level),
                       html_escape(level_name(level)));
  }
  out += html_escape(summary_line(d)) + "</h1>\n";
  if (!d.items.empty()) {
    out += fmt::format(
        "<table style=\"width:100%;border-collapse:collapse\">\n<thead><tr>"
        "<th style=\"{0}\">#</th><th style=\"{0}\">Loại</th><th style=\"{0}\">Mức độ</th>"
        "<th style=\"{0}\">Trạng thái</th><th style=\"{0}\">Nội dung</th></tr></thead>\n<tbody>\n",
        kHead);
    for (std::size_t i = 0; i < d.items.size(); ++i) {
      const Notification& n = d.items[i];
      out += fmt::format(
          "<tr><td style=\"{0}\">{1}</td><td style=\"{0}\">{2}</td><td style=\"{0}\">{3}</td>"
          "<td style=\"{0}\">{4}</td><td style=\"{0}\">{5}</td></tr>\n",
          kCell, i + 1, html_escape(capitalized(kind_text(n))), html_severity(n.alert.severity),
          html_badge(n.alert), html_details(n));
    }
    out += "</tbody>\n</table>\n";
  }
  out += fmt::format(
      "<p style=\"margin:16px 0 0;color:#757575;font-size:12px\">{}</p>\n</div>\n</body>\n"
      "</html>\n",
      html_escape(footer(d)));
  return out;
}

// ---------------------------------------------------------------------------------------
// JSON

// Malformed UTF-8 (which the rule files and the store refuse, but a library must not
// throw on) becomes U+FFFD instead of an exception.
std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json figure_json(const std::optional<double>& figure) {
  if (const auto v = shown(figure)) return *v;
  return nullptr;
}

Json date_json(const std::optional<model::Date>& date) {
  if (date) return model::to_string(*date);
  return nullptr;
}

Json alert_json(const Notification& n) {
  const AlertFacts& a = n.alert;
  Json plan = nullptr;
  if (!a.plan.empty() || !a.plan_code.empty() || !a.plan_title.empty()) {
    plan = Json{{"name", a.plan}, {"code", a.plan_code}, {"title", a.plan_title}};
  }
  Json labels = Json::object();
  for (const auto& [name, value] : a.labels) {
    if (!labels.contains(name)) labels[name] = value;
  }
  Json held_back = Json::array();
  for (const Notification& h : n.held_back) held_back.push_back(alert_json(h));
  return Json{{"kind", n.context ? std::string("context") : std::string(to_string(n.kind))},
              {"fingerprint", a.fingerprint},
              {"subject", to_string(a.subject)},
              {"name", a.name},
              {"title", a.title},
              {"unit", a.unit},
              {"unit_name", a.unit_name},
              {"state", a.state},
              {"severity", model::to_string(a.severity)},
              {"since", date_json(n.since)},
              {"value", figure_json(a.value)},
              {"target", figure_json(a.target)},
              {"upper", figure_json(a.upper)},
              {"deadline", date_json(a.deadline)},
              {"earliest_finish", date_json(a.earliest_finish)},
              {"projected", figure_json(a.projected)},
              {"rate_needed", figure_json(a.rate_needed)},
              {"rate_observed", figure_json(a.rate_observed)},
              {"percent", a.percent},
              {"condition", a.condition},
              {"reason", a.reason},
              {"units", a.units},
              {"basis", a.basis},
              {"message", a.message},
              {"source", a.source},
              {"owner", a.owner},
              {"plan", std::move(plan)},
              {"chain", a.chain},
              {"note", a.note},
              {"labels", std::move(labels)},
              {"silenced", n.silenced},
              {"held_back", std::move(held_back)}};
}

// ---------------------------------------------------------------------------------------
// Alertmanager

std::optional<std::chrono::sys_seconds> parse_utc(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t length) {
    int value = 0;
    for (std::size_t i = at; i < at + length; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const std::chrono::year_month_day ymd{std::chrono::year{number(0, 4)},
                                        std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                        std::chrono::day{static_cast<unsigned>(number(8, 2))}};
  const int hours = number(11, 2), minutes = number(14, 2), seconds = number(17, 2);
  if (!ymd.ok() || hours > 23 || minutes > 59 || seconds > 59) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{hours} + std::chrono::minutes{minutes} +
         std::chrono::seconds{seconds};
}

std::string utc_text(std::chrono::sys_seconds time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::chrono::sys_seconds now_or_midnight(const Digest& d, std::string_view now_utc) {
  if (const auto now = parse_utc(now_utc)) return *now;
  return std::chrono::sys_seconds{d.at};
}

// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*.
std::string label_name(std::string_view name) {
  std::string out(name.empty() ? std::string_view("_") : name);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    const bool ok =
        c == '_' || (c < 0x80 && std::isalpha(c)) || (i > 0 && c < 0x80 && std::isdigit(c));
    if (!ok) out[i] = '_';
  }
  return out;
}

struct AmAlert {
  bool firing = true;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string starts_at;
  std::string fingerprint;
};

AmAlert am_alert(const Digest& d, const Notification& n, const Notification* holder) {
  const AlertFacts& a = n.alert;
  AmAlert out;
  out.firing = n.kind != NotifyKind::resolved;
  out.fingerprint = a.fingerprint;
  out.starts_at = utc_text(std::chrono::sys_seconds{n.since.value_or(d.at)});

  const auto label = [&](std::string_view name, const std::string& value) {
    // Alertmanager treats an empty value as no label at all.
    if (!value.empty()) out.labels.emplace(label_name(name), value);
  };
  // Alertmanager identifies an alert by its labels: only what stays the same while the
  // alert lives is a label (the declared severity, for routing); the current state and
  // severity are annotations, so a change or a resolution updates the same alert.
  label("alertname", a.name);
  label("unit", a.unit);
  label("severity", std::string(model::to_string(a.declared_severity)));
  label("subject", std::string(to_string(a.subject)));
  for (const auto& [name, value] : a.labels) {
    if (name != "state" && name != "severity") label(name, value);
  }

  const auto note = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) out.annotations.emplace(name, value);
  };
  note("summary", display_name(a));
  note("state", a.state);
  note("current_severity", std::string(model::to_string(a.severity)));
  note("unit_name", a.unit_name);
  note("description", a.reason);
  note("units", a.units);
  note("basis", a.basis);
  note("message", a.message);
  note("source", a.source);
  note("plan", a.plan);
  note("plan_code", a.plan_code);
  note("plan_title", a.plan_title);
  if (const auto v = shown(a.value)) note("value", value_text(a, *v));
  note("target", target_text(a));
  if (a.deadline) note("deadline", vi_date(*a.deadline));
  if (const auto v = shown(a.projected)) note("projected", value_text(a, *v));
  note("chain", chain_text(a));
  note("note", a.note);
  if (holder) note("root_cause", holder->alert.name);
  return out;
}

// Held-back alerts are alerts of their own in Alertmanager, which groups by labels.
std::vector<AmAlert> am_alerts(const Digest& d) {
  std::vector<AmAlert> out;
  for (const Notification& n : d.items) {
    out.push_back(am_alert(d, n, nullptr));
    for (const Notification& h : n.held_back) out.push_back(am_alert(d, h, &n));
  }
  return out;
}

Json string_map(const std::map<std::string, std::string>& map) {
  Json out = Json::object();
  for (const auto& [name, value] : map) out[name] = value;
  return out;
}

// The pairs every alert has with the same value (Alertmanager's commonLabels).
std::map<std::string, std::string> common(const std::vector<AmAlert>& alerts,
                                          std::map<std::string, std::string> AmAlert::*member) {
  if (alerts.empty()) return {};
  std::map<std::string, std::string> out = alerts.front().*member;
  for (const AmAlert& a : alerts) {
    std::erase_if(out, [&](const auto& pair) {
      const auto it = (a.*member).find(pair.first);
      return it == (a.*member).end() || it->second != pair.second;
    });
  }
  return out;
}

std::string quoted_label_value(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

EmailContent render_email(const Digest& digest) {
  EmailContent out;
  const Severity level = firing_level(digest.items);
  out.subject = fmt::format("[{}] {}{}", kBrand,
                            level == Severity::none ? "" : std::string(level_name(level)) + " – ",
                            summary_line(digest));
  out.text = text_body(digest);
  out.html = html_body(digest, out.subject);
  return out;
}

std::string render_webhook(const Digest& digest) {
  Json alerts = Json::array();
  for (const Notification& n : digest.items) alerts.push_back(alert_json(n));
  const Json body{{"schema", kSchema},
                  {"run_id", digest.run_id},
                  {"channel", digest.channel},
                  {"at", model::to_string(digest.at)},
                  {"summary",
                   {{"fired", digest.fired},
                    {"changed", digest.changed},
                    {"repeated", digest.repeated},
                    {"resolved", digest.resolved}}},
                  {"alerts", std::move(alerts)}};
  return dump(body);
}

std::string render_alertmanager_webhook(const Digest& digest, std::string_view now_utc) {
  const std::string now = utc_text(now_or_midnight(digest, now_utc));
  const std::vector<AmAlert> alerts = am_alerts(digest);
  const bool firing =
      std::any_of(alerts.begin(), alerts.end(), [](const AmAlert& a) { return a.firing; });
  Json list = Json::array();
  for (const AmAlert& a : alerts) {
    list.push_back(Json{{"status", a.firing ? "firing" : "resolved"},
                        {"labels", string_map(a.labels)},
                        {"annotations", string_map(a.annotations)},
                        {"startsAt", a.starts_at},
                        {"endsAt", a.firing ? std::string(kZeroTime) : now},
                        {"generatorURL", ""},
                        {"fingerprint", a.fingerprint}});
  }
  // Alertmanager's group key is "<route>:<group labels>"; a channel is tiendo's route and
  // it sends one group per run.
  const Json body{{"receiver", digest.channel},
                  {"status", firing ? "firing" : "resolved"},
                  {"alerts", std::move(list)},
                  {"groupLabels", Json::object()},
                  {"commonLabels", string_map(common(alerts, &AmAlert::labels))},
                  {"commonAnnotations", string_map(common(alerts, &AmAlert::annotations))},
                  {"externalURL", ""},
                  {"version", "4"},
                  {"groupKey", "{}/{channel=" + quoted_label_value(digest.channel) + "}:{}"},
                  {"truncatedAlerts", 0}};
  return dump(body);
}

std::string render_alertmanager_push(const Digest& digest, std::string_view now_utc) {
  const std::chrono::sys_seconds now = now_or_midnight(digest, now_utc);
  const std::string ends_firing = utc_text(now + kPushLease), ends_resolved = utc_text(now);
  Json body = Json::array();
  for (const AmAlert& a : am_alerts(digest)) {
    body.push_back(Json{{"labels", string_map(a.labels)},
                        {"annotations", string_map(a.annotations)},
                        {"startsAt", a.starts_at},
                        {"endsAt", a.firing ? ends_firing : ends_resolved},
                        {"generatorURL", ""}});
  }
  return dump(body);
}

}  // namespace tiendo::alert
