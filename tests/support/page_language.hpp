// What language an HTML page (the dashboard) speaks, for tests: the page's own words as
// opposed to the data it shows (rule titles, unit names, notes are Vietnamese whatever the
// page's language), to check with support/languages.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support/languages.hpp"

namespace tiendo::testing {

// The contents of every element of `page` that starts with `open` (a whole tag, "<th>",
// or its beginning, "<span class=\"badge "; or an attribute, "aria-label=\"") up to the
// next `close`.
inline std::vector<std::string> contents(std::string_view page, std::string_view open,
                                         std::string_view close) {
  std::vector<std::string> found;
  for (std::size_t at = page.find(open); at != std::string_view::npos;
       at = page.find(open, at + 1)) {
    std::size_t start = at + open.size();
    if (!open.ends_with(">") && !open.ends_with("=\"")) {
      start = page.find('>', start);
      if (start == std::string_view::npos) break;
      ++start;
    }
    const std::size_t end = page.find(close, start);
    if (end == std::string_view::npos) break;
    found.emplace_back(page.substr(start, end - start));
  }
  return found;
}

// The dashboard's link to the page in the other language: <p class="lang"><a …>…</a></p>.
// It names that language in its own words ("Tiếng Việt" on the English page), so a check
// of the page's language leaves it out (and checks it apart).
inline std::string without_language_link(std::string page) {
  const std::size_t start = page.find("<p class=\"lang\">");
  if (start == std::string::npos) return page;
  const std::size_t end = page.find("</p>", start);
  return page.erase(start, end == std::string::npos ? std::string::npos : end + 4 - start);
}

// The page's own words, not the data it shows: its title, headings, table headers, state
// and severity badges, the kinds of things listed (plan, task), the counts by state, the
// notes of rows left out, the sentences of empty sections, the graph's legend, the progress
// bars' labels and the header's dates; in the plan graph's drawing, each node's state
// ("[Quá hạn]") and due date ("hạn 31/12/2022", "due 2022-12-31"), lines of their own (the
// rest of it is the rules' names, codes and titles). The language link is left out.
inline std::string visible_text(std::string page);

inline std::vector<std::string> own_words(const std::string& page) {
  std::string text = without_language_link(page);
  std::vector<std::string> found;
  const std::size_t svg = text.find("<svg");
  if (svg != std::string::npos) {
    const std::size_t svg_end = text.find("</svg>", svg);
    const std::string drawing = text.substr(svg, svg_end - svg);
    for (std::string& line : contents(drawing, "<text", "</text>")) {
      if (line.starts_with("[") || line.starts_with("hạn ") || line.starts_with("due ")) {
        found.push_back(std::move(line));
      }
    }
    text.erase(svg, svg_end == std::string::npos ? std::string::npos : svg_end + 6 - svg);
  }
  const struct {
    std::string_view open, close;
  } kinds[] = {
      {"<title>", "</title>"},
      {"<header>", "</header>"},
      {"<h2>", "</h2>"},
      {"<h3>", "</h3>"},
      {"<th>", "</th>"},
      {"<span class=\"badge ", "</span>"},
      {"<span class=\"kind\"", "</span>"},
      {"<ul class=\"chips\"", "</ul>"},
      {"<p class=\"muted\"", "</p>"},
      {"<p class=\"note\"", "</p>"},
      {"<p class=\"empty\"", "</p>"},
      {"<ul class=\"legend\"", "</ul>"},
      {"aria-label=\"", "\""},
  };
  // The words inside each part, not its markup (a chip's link to ?state=met is no word).
  for (const auto& kind : kinds) {
    for (std::string& part : contents(text, kind.open, kind.close)) {
      if (part.find('<') == std::string::npos) {
        found.push_back(std::move(part));
      } else {
        // A part that begins inside its opening tag (`<ul class="chips"`) ends that tag.
        found.push_back(visible_text(part.starts_with(">") ? "<x" + part : part));
      }
    }
  }
  return found;
}

// The text a reader sees (tags and the style sheet left out) and the words read out to
// them (aria-label and title attributes).
inline std::string visible_text(std::string page) {
  const std::size_t style = page.find("<style>");
  if (style != std::string::npos) {
    const std::size_t style_end = page.find("</style>", style);
    page.erase(style, style_end == std::string::npos ? std::string::npos : style_end + 8 - style);
  }
  std::string text;
  std::size_t i = 0;
  while (i < page.size()) {
    if (page[i] != '<') {
      text += page[i++];
      continue;
    }
    const std::size_t end = page.find('>', i);
    if (end == std::string::npos) break;
    const std::string_view tag(page.data() + i, end - i);
    for (std::string_view attribute : {" aria-label=\"", " title=\""}) {
      const std::size_t at = tag.find(attribute);
      if (at == std::string_view::npos) continue;
      const std::size_t start = at + attribute.size();
      text += " ";
      text += tag.substr(start, tag.find('"', start) - start);
      text += " ";
    }
    text += ' ';
    i = end + 1;
  }
  return text;
}

// The English words of the dashboard, its states, severities and report statuses, and
// present::'s words in what it cites ("Decision … of …", "about 83.5%", "failing: …"):
// none may be on a Vietnamese page. Not "of", "part" and "after": the graph's legend names
// the links by the rules' keywords, part_of and after, in both languages.
inline const std::set<std::string>& dashboard_english_words() {
  static const std::set<std::string> words = {
      "overview", "target", "targets", "results", "result", "tasks", "task", "firing", "alert",
      "alerts", "showing", "rows", "shown", "needing", "attention", "most", "first", "severe",
      "oldest", "earliest", "due", "unit", "units", "value", "required", "deadline", "progress",
      "state", "basis", "waiting", "from", "toward", "met", "severity", "since", "lead", "latest",
      "report", "cause", "root", "chain", "plan", "plans", "graph", "rectangle", "ellipse", "bold",
      "dashed", "thin", "line", "carrying", "loaded", "listed", "above", "other", "stops", "items",
      "evaluation", "evaluated", "page", "generated", "dashboard", "yet", "about", "under",
      "amended", "failing", "data", "more", "set", "rule", "missed", "missing", "risk", "track",
      "compliant", "violated", "stale", "blocked", "error", "done", "late", "cancelled", "overdue",
      "reported", "being", "critical", "warning", "info", "none", "started", "tracked", "longer",
      "decision", "resolution", "document", "this", "the", "and", "no", "is", "at", "in", "to",
      "by",
      // The committee's view (issue #19): what changed, filters, pages, the pages below.
      "changed", "compared", "compare", "filter", "filters", "clear", "sort", "urgent", "name",
      "previous", "next", "pages", "match", "rules", "skip", "content", "breadcrumb", "worst",
      "see", "all", "moved", "new", "resolved", "newly", "nothing", "earlier", "run", "over",
      "time", "why", "requirement", "history", "lifecycle", "pending", "silences", "applies",
      "within", "leads", "level", "runs", "past", "now"};
  return words;
}

// How many times `part` occurs in `text` (not overlapping).
inline std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(part); pos != std::string_view::npos;
       pos = text.find(part, pos + part.size())) {
    ++n;
  }
  return n;
}

// The text of a page's <section id="…">; empty when there is none.
inline std::string_view page_section(std::string_view page, std::string_view id) {
  const std::size_t start = page.find("<section id=\"" + std::string(id) + "\"");
  if (start == std::string_view::npos) return {};
  const std::size_t end = page.find("</section>", start);
  return page.substr(start, end == std::string_view::npos ? end : end - start);
}

}  // namespace tiendo::testing
