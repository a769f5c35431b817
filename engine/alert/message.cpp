#include "alert/message.hpp"

#include <fmt/format.h>

#include "alert/message_words.hpp"
#include "present/format.hpp"

namespace tiendo::alert::detail {

using model::Severity;
using present::format_number;
using present::format_percent;

namespace {

constexpr Words kVietnamese{
    .html_lang = "vi",
    .fired = "mới",
    .changed = "thay đổi",
    .repeated = "nhắc lại",
    .resolved = "đã khắc phục",
    .context = "nguyên nhân của các cảnh báo dưới đây",
    .task_heading = "Nhiệm vụ: ",
    .silenced = "đang tắt thông báo",
    .since = "từ ",
    .began = "phát sinh từ ",
    .range_from = "từ ",
    .range_to = " đến ",
    .at_most = "tối đa ",
    .value = "giá trị",
    .target = "mục tiêu",
    .deadline = "hạn",
    .earliest_finish = "sớm nhất xong",
    .projected = "dự báo",
    .rate_needed = "tốc độ cần",
    .rate_observed = "tốc độ hiện tại",
    .units = "đơn vị",
    .target_change = "chỉ tiêu điều chỉnh",
    .basis = "căn cứ",
    .chain = "bị chặn theo chuỗi",
    .details = "chi tiết",
    .note = "ghi chú báo cáo",
    .data_note = "ghi chú số liệu",
    .plan = "kế hoạch",
    .owner = "phụ trách",
    .source = "nguồn",
    .rule_word = "quy tắc ",
    .task_word = "nhiệm vụ ",
    .held_back = "Cảnh báo bị giữ lại vì nhiệm vụ này ({}):",
    .nothing_new = "không có gì mới",
    .channel_word = "kênh",
    .run_word = "lần chạy",
    .kind_column = "Loại",
    .severity_column = "Mức độ",
    .state_column = "Trạng thái",
    .details_column = "Nội dung",
};

constexpr Words kEnglish{
    .html_lang = "en",
    .fired = "new",
    .changed = "changed",
    .repeated = "reminder",
    .resolved = "resolved",
    .context = "root cause of the alerts below",
    .task_heading = "Task: ",
    .silenced = "silenced",
    .since = "since ",
    .began = "began ",
    .range_from = "from ",
    .range_to = " to ",
    .at_most = "at most ",
    .value = "value",
    .target = "target",
    .deadline = "deadline",
    .earliest_finish = "earliest finish",
    .projected = "projected",
    .rate_needed = "rate needed",
    .rate_observed = "rate observed",
    .units = "units",
    .target_change = "target amended",
    .basis = "basis",
    .chain = "blocked along",
    .details = "details",
    .note = "report note",
    .data_note = "data note",
    .plan = "plan",
    .owner = "owner",
    .source = "source",
    .rule_word = "rule ",
    .task_word = "task ",
    .held_back = "Alerts held back by this task ({}):",
    .nothing_new = "nothing new",
    .channel_word = "channel",
    .run_word = "run",
    .kind_column = "Kind",
    .severity_column = "Severity",
    .state_column = "State",
    .details_column = "Details",
};

}  // namespace

const Words& words(Language language) { return language == Language::en ? kEnglish : kVietnamese; }

std::optional<double> shown(const std::optional<double>& figure) {
  if (figure && std::isfinite(*figure)) return figure;
  return std::nullopt;
}
std::string_view kind_name(NotifyKind kind, Language language) {
  const Words& w = words(language);
  switch (kind) {
    case NotifyKind::fired:
      return w.fired;
    case NotifyKind::changed:
      return w.changed;
    case NotifyKind::repeated:
      return w.repeated;
    case NotifyKind::resolved:
      return w.resolved;
  }
  return w.fired;
}

std::string kind_text(const Notification& n, Language language) {
  return n.context ? std::string(words(language).context)
                   : std::string(kind_name(n.kind, language));
}

std::string severity_word(Severity severity, Language language) {
  return severity == Severity::none ? std::string()
                                    : present::lower_first(present::label(severity, language));
}

std::string level_word(Severity severity, Language language) {
  return severity == Severity::none ? std::string()
                                    : present::upper(present::label(severity, language));
}

std::string state_word(const AlertFacts& a, Language language) {
  return present::lower_first(
      present::state_name_label(a.state, a.subject == Subject::task, language));
}

present::Tone state_tone(const AlertFacts& a) {
  return present::state_name_tone(a.state, a.subject == Subject::task);
}

std::string display_name(const AlertFacts& a) { return a.title.empty() ? a.name : a.title; }

std::string date_text(model::Date date, Language language) {
  return present::format_date(date, language);
}

std::string value_text(const AlertFacts& a, double value, Language language) {
  return a.percent ? format_percent(value, language) : format_number(value, language);
}

std::string current_value_text(const AlertFacts& a, double value, Language language) {
  const std::string text = value_text(a, value, language);
  return a.estimate ? present::format_estimate(text, language) : text;
}

std::string rate_text(const AlertFacts& a, double rate, Language language) {
  return present::format_signed_rate(rate, a.percent, language);
}

std::string target_text(const AlertFacts& a, Language language) {
  const Words& w = words(language);
  const auto target = shown(a.target), upper = shown(a.upper);
  if (target && upper) {
    return std::string(w.range_from) + value_text(a, *target, language) + std::string(w.range_to) +
           value_text(a, *upper, language);
  }
  if (target) return value_text(a, *target, language);
  if (upper) return std::string(w.at_most) + value_text(a, *upper, language);
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
std::string since_text(const Notification& n, Language language) {
  if (!n.since) return {};
  const Words& w = words(language);
  return std::string(n.kind == NotifyKind::resolved ? w.began : w.since) +
         date_text(*n.since, language);
}

// ---------------------------------------------------------------------------------------
// What one notification says

Parts parts_of(const Notification& n, Language language) {
  const AlertFacts& a = n.alert;
  const Words& w = words(language);
  const auto entry = [](std::string_view label, std::string text) {
    return Entry{std::string(label), std::move(text)};
  };
  Parts p;
  p.heading = (a.subject == Subject::task ? std::string(w.task_heading) : "") + display_name(a);
  if (!a.unit_name.empty()) {
    p.heading += " – " + a.unit_name;
  } else if (!a.unit.empty()) {
    p.heading += " – " + a.unit;
  }

  p.status.push_back(kind_text(n, language));
  if (a.severity != Severity::none) p.status.push_back(severity_word(a.severity, language));
  p.status.push_back(state_word(a, language));
  if (n.since) p.status.push_back(since_text(n, language));
  if (n.silenced) p.status.emplace_back(w.silenced);

  p.message = a.message.in(language);
  while (p.message.ends_with('\n')) p.message.pop_back();

  if (const auto v = shown(a.value))
    p.figures.push_back(entry(w.value, current_value_text(a, *v, language)));
  if (std::string t = target_text(a, language); !t.empty()) {
    p.figures.push_back(entry(w.target, t));
  }
  if (a.deadline) p.figures.push_back(entry(w.deadline, date_text(*a.deadline, language)));
  if (a.earliest_finish) {
    p.figures.push_back(entry(w.earliest_finish, date_text(*a.earliest_finish, language)));
  }
  if (const auto v = shown(a.projected)) {
    p.figures.push_back(entry(w.projected, value_text(a, *v, language)));
  }

  if (const auto r = shown(a.rate_needed)) {
    p.rates.push_back(entry(w.rate_needed, rate_text(a, *r, language)));
  }
  if (const auto r = shown(a.rate_observed)) {
    p.rates.push_back(entry(w.rate_observed, rate_text(a, *r, language)));
  }

  if (!a.units.empty()) p.context.push_back(entry(w.units, a.units.in(language)));
  if (!a.target_change.empty()) {
    p.context.push_back(entry(w.target_change, a.target_change.in(language)));
  }
  if (!a.basis.empty()) p.context.push_back(entry(w.basis, a.basis.in(language)));
  if (!a.chain.empty()) p.context.push_back(entry(w.chain, chain_text(a)));
  // The rule's message, when it has one, says why in the author's words; without one the
  // reason, in the channel's language, is the explanation.
  if (a.message.empty() && !a.reason.empty()) {
    p.context.push_back(entry(w.details, a.reason.in(language)));
  }
  if (!a.note.empty()) {
    p.context.push_back(entry(a.subject == Subject::task ? w.note : w.data_note, a.note));
  }
  if (std::string plan = plan_text(a); !plan.empty()) p.context.push_back(entry(w.plan, plan));
  if (!a.owner.empty()) p.context.push_back(entry(w.owner, a.owner));
  std::string source = std::string(a.subject == Subject::rule ? w.rule_word : w.task_word) + a.name;
  if (!a.source.empty()) source += ", " + a.source;
  p.context.push_back(entry(w.source, source));
  return p;
}

// Counts in the order the summary names them.
std::vector<std::string> count_parts(const Digest& d) {
  std::vector<std::string> parts;
  const bool en = d.language == Language::en;
  const auto add = [&](int count, std::string_view vi, std::string_view en_one,
                       std::string_view en_many) {
    if (count <= 0) return;
    parts.push_back(fmt::format("{} {}", format_number(count, d.language),
                                !en          ? vi
                                : count == 1 ? en_one
                                             : en_many));
  };
  add(d.fired, "cảnh báo mới", "new alert", "new alerts");
  add(d.changed, "thay đổi", "changed", "changed");
  add(d.repeated, "nhắc lại", "reminder", "reminders");
  add(d.resolved, "đã khắc phục", "resolved", "resolved");
  return parts;
}

std::string summary_line(const Digest& d) {
  const std::vector<std::string> parts = count_parts(d);
  return date_text(d.at, d.language) + ": " +
         (parts.empty() ? std::string(words(d.language).nothing_new) : joined(parts, ", "));
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
  const Words& w = words(d.language);
  return fmt::format("{} · {} {} · {} {}", kBrand, w.channel_word, d.channel, w.run_word, d.run_id);
}

}  // namespace tiendo::alert::detail
