// A digest as an e-mail in Vietnamese: the plain text and the HTML (inline styles only,
// since mail clients drop style sheets and must not fetch anything).
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "alert/message.hpp"
#include "alert/message_words.hpp"
#include "present/format.hpp"
#include "present/markup.hpp"

namespace tiendo::alert {

namespace {

using namespace detail;
using model::Severity;
using present::format_number;
using present::html_escape;
using present::Tone;

// Plain text

std::string entries_line(const std::vector<Entry>& entries) {
  std::string line;
  for (const Entry& e : entries) {
    line += (line.empty() ? present::upper_first(e.label) : "; " + e.label) + ": " + e.text;
  }
  return line;
}

void text_item(std::string& out, const Notification& n, const std::string& first_prefix,
               const std::string& indent, Language language) {
  const Parts p = parts_of(n, language);
  out += first_prefix + p.heading + "\n";
  out += indent + present::upper_first(joined(p.status, " · ")) + "\n";
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
  for (const Entry& e : p.context)
    out += indent + present::upper_first(e.label) + ": " + e.text + "\n";
  if (!n.held_back.empty()) {
    out += indent +
           fmt::format(fmt::runtime(words(language).held_back),
                       format_number(static_cast<double>(n.held_back.size()), language)) +
           "\n";
    for (const Notification& h : n.held_back) {
      text_item(out, h, indent + "- ", indent + "  ", language);
    }
  }
}

std::string text_body(const Digest& d) {
  std::string out = summary_line(d) + "\n";
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    out += "\n";
    const std::string number = fmt::format("{}. ", i + 1);
    text_item(out, d.items[i], number, std::string(number.size(), ' '), d.language);
  }
  out += "\n-- \n" + footer(d) + "\n";
  return out;
}

// HTML

std::string_view tone_style(Tone t) {
  switch (t) {
    case Tone::red:
      return "background:#fdecea;color:#b71c1c;border:1px solid #f5c2c0";
    case Tone::amber:
      return "background:#fff4e5;color:#8a4b00;border:1px solid #ffd8a8";
    case Tone::green:
      return "background:#e8f5e9;color:#1b5e20;border:1px solid #b9dfbb";
    case Tone::blue:
      return "background:#e3f2fd;color:#0d47a1;border:1px solid #bbdefb";
    case Tone::grey:
      return "background:#eceff1;color:#37474f;border:1px solid #cfd8dc";
  }
  return "";
}

// The colour a severity's words are written in, by its tone.
std::string_view severity_colour(Severity severity) {
  switch (present::tone(severity)) {
    case Tone::red:
      return "#b71c1c";
    case Tone::amber:
      return "#b35c00";
    case Tone::blue:
      return "#1565c0";
    case Tone::green:
      return "#1b5e20";
    case Tone::grey:
      return "#616161";
  }
  return "#616161";
}

constexpr std::string_view kBadge =
    "display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;white-space:nowrap";

std::string html_badge(const AlertFacts& a, Language language) {
  return fmt::format("<span style=\"{};{}\">{}</span>", kBadge, tone_style(state_tone(a)),
                     html_escape(state_word(a, language)));
}

std::string html_severity(Severity severity, Language language) {
  if (severity == Severity::none) return {};
  return fmt::format("<span style=\"color:{};font-weight:bold\">{}</span>",
                     severity_colour(severity), html_escape(severity_word(severity, language)));
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
    out += fmt::format("{}<span style=\"color:#616161\">{}:</span> {}", out.empty() ? "" : "; ",
                       html_escape(out.empty() ? present::upper_first(e.label) : e.label),
                       html_escape(e.text));
  }
  return "<div>" + out + "</div>";
}

std::string html_details(const Notification& n, Language language);

std::string html_held_back(const Notification& n, Language language) {
  if (n.held_back.empty()) return {};
  std::string out = fmt::format(
      "<div style=\"margin-top:8px;padding-left:10px;border-left:3px solid #cfd8dc\">"
      "<div style=\"font-weight:bold\">{}</div>"
      "<ul style=\"margin:4px 0;padding-left:18px\">",
      html_escape(fmt::format(fmt::runtime(words(language).held_back),
                              format_number(static_cast<double>(n.held_back.size()), language))));
  for (const Notification& h : n.held_back) {
    const std::string severity = html_severity(h.alert.severity, language);
    out += fmt::format("<li style=\"margin:6px 0\"><div>{} · {}{} {}</div>{}</li>",
                       html_escape(present::upper_first(std::string(kind_name(h.kind, language)))),
                       severity, severity.empty() ? "" : " ·", html_badge(h.alert, language),
                       html_details(h, language));
  }
  return out + "</ul></div>";
}

std::string html_details(const Notification& n, Language language) {
  const Parts p = parts_of(n, language);
  std::string out = fmt::format("<div style=\"font-weight:bold;font-size:15px\">{}</div>",
                                html_escape(p.heading));
  std::vector<std::string> when;
  if (n.since) when.push_back(since_text(n, language));
  if (n.silenced) when.emplace_back(words(language).silenced);
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
  return out + html_held_back(n, language);
}

constexpr std::string_view kCell = "padding:8px;vertical-align:top;border-top:1px solid #e0e0e0";
constexpr std::string_view kHead =
    "padding:6px 8px;text-align:left;font-size:12px;color:#616161;border-bottom:2px solid #bdbdbd";

std::string html_body(const Digest& d, const std::string& subject) {
  const Severity level = firing_level(d.items);
  const Words& w = words(d.language);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n</head>\n"
      "<body style=\"margin:0;padding:16px;background:#f5f5f5;color:#212121;"
      "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45\">\n"
      "<div style=\"max-width:860px;margin:0 auto;padding:16px 20px;background:#ffffff;"
      "border:1px solid #e0e0e0\">\n",
      w.html_lang, html_escape(subject));
  out += "<h1 style=\"margin:0 0 12px;font-size:18px\">";
  if (level != Severity::none) {
    out += fmt::format("<span style=\"color:{}\">{}</span> – ", severity_colour(level),
                       html_escape(level_word(level, d.language)));
  }
  out += html_escape(summary_line(d)) + "</h1>\n";
  if (!d.items.empty()) {
    out += fmt::format(
        "<table style=\"width:100%;border-collapse:collapse\">\n<thead><tr>"
        "<th style=\"{0}\">#</th><th style=\"{0}\">{1}</th><th style=\"{0}\">{2}</th>"
        "<th style=\"{0}\">{3}</th><th style=\"{0}\">{4}</th></tr></thead>\n<tbody>\n",
        kHead, w.kind_column, w.severity_column, w.state_column, w.details_column);
    for (std::size_t i = 0; i < d.items.size(); ++i) {
      const Notification& n = d.items[i];
      out += fmt::format(
          "<tr><td style=\"{0}\">{1}</td><td style=\"{0}\">{2}</td><td style=\"{0}\">{3}</td>"
          "<td style=\"{0}\">{4}</td><td style=\"{0}\">{5}</td></tr>\n",
          kCell, i + 1, html_escape(present::upper_first(kind_text(n, d.language))),
          html_severity(n.alert.severity, d.language), html_badge(n.alert, d.language),
          html_details(n, d.language));
    }
    out += "</tbody>\n</table>\n";
  }
  out += fmt::format(
      "<p style=\"margin:16px 0 0;color:#757575;font-size:12px\">{}</p>\n</div>\n</body>\n"
      "</html>\n",
      html_escape(footer(d)));
  return out;
}

}  // namespace

EmailContent render_email(const Digest& digest) {
  EmailContent out;
  const Severity level = firing_level(digest.items);
  out.subject =
      fmt::format("[{}] {}{}", kBrand,
                  level == Severity::none ? "" : level_word(level, digest.language) + " – ",
                  summary_line(digest));
  out.text = text_body(digest);
  out.html = html_body(digest, out.subject);
  return out;
}

}  // namespace tiendo::alert
