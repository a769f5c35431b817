#include "alert/message.hpp"

#include <fmt/format.h>

#include "alert/message_words.hpp"
#include "present/format.hpp"

namespace tiendo::alert::detail {

using model::Severity;
using present::format_number;
using present::format_percent;

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

std::string kind_text(const Notification& n) {
  return n.context ? std::string("nguyên nhân của các cảnh báo dưới đây")
                   : std::string(kind_name(n.kind));
}

std::string severity_word(Severity severity) {
  return severity == Severity::none ? std::string()
                                    : present::lower_first(present::label(severity));
}

std::string level_word(Severity severity) {
  return severity == Severity::none ? std::string() : present::upper(present::label(severity));
}

std::string state_word(const AlertFacts& a) {
  return present::lower_first(present::state_name_label(a.state, a.subject == Subject::task));
}

present::Tone state_tone(const AlertFacts& a) {
  return present::state_name_tone(a.state, a.subject == Subject::task);
}

std::string display_name(const AlertFacts& a) { return a.title.empty() ? a.name : a.title; }

std::string date_text(model::Date date) { return present::format_date(date); }

std::string value_text(const AlertFacts& a, double value) {
  return a.percent ? format_percent(value) : format_number(value);
}

std::string current_value_text(const AlertFacts& a, double value) {
  const std::string text = value_text(a, value);
  return a.estimate ? present::format_estimate(text) : text;
}

std::string rate_text(const AlertFacts& a, double rate) {
  return present::format_signed_rate(rate, a.percent);
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
std::string since_text(const Notification& n) {
  if (!n.since) return {};
  return (n.kind == NotifyKind::resolved ? "phát sinh từ " : "từ ") + date_text(*n.since);
}

// ---------------------------------------------------------------------------------------
// What one notification says

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
  if (a.severity != Severity::none) p.status.push_back(severity_word(a.severity));
  p.status.push_back(state_word(a));
  if (n.since) p.status.push_back(since_text(n));
  if (n.silenced) p.status.push_back("đang tắt thông báo");

  p.message = a.message;
  while (p.message.ends_with('\n')) p.message.pop_back();

  if (const auto v = shown(a.value)) p.figures.push_back({"giá trị", current_value_text(a, *v)});
  if (std::string t = target_text(a); !t.empty()) p.figures.push_back({"mục tiêu", t});
  if (a.deadline) p.figures.push_back({"hạn", date_text(*a.deadline)});
  if (a.earliest_finish) p.figures.push_back({"sớm nhất xong", date_text(*a.earliest_finish)});
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
  if (!a.note.empty()) {
    p.context.push_back(
        {a.subject == Subject::task ? "ghi chú báo cáo" : "ghi chú số liệu", a.note});
  }
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
  return date_text(d.at) + ": " +
         (parts.empty() ? std::string("không có gì mới") : joined(parts, ", "));
}

Severity firing_level(const std::vector<Notification>& items) {
  Severity level = Severity::none;
  for (const Notification& n : items) {
    if (n.kind != NotifyKind::resolved && present::rank(n.alert.severity) < present::rank(level)) {
      level = n.alert.severity;
    }
    const Severity inner = firing_level(n.held_back);
    if (present::rank(inner) < present::rank(level)) level = inner;
  }
  return level;
}

std::string footer(const Digest& d) {
  return fmt::format("{} · kênh {} · lần chạy {}", kBrand, d.channel, d.run_id);
}

}  // namespace tiendo::alert::detail
