// What every page of the dashboard shares: the style, the header with the other
// language's link and the breadcrumbs, relative links that keep a proxy's path prefix.
#include <fmt/format.h>

#include "present/markup.hpp"
#include "service/dashboard_parts.hpp"

namespace tiendo::service::detail {

namespace {

using present::html_escape;

// One style for every page: nothing loads from elsewhere (the pages' Content-Security-
// Policy allows inline style only). Phones (390 px) get narrower padding and tables that
// scroll inside their section; print drops the controls.
constexpr std::string_view kStyle = R"css(
:root { --green: #1e7b34; --amber: #8a5300; --red: #b3261e; --grey: #5f6670; --blue: #1f4e79;
        --line: #d5dae1; --head: #eef1f5; --ink: #1b1f24; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef0f3; color: var(--ink);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
             "DejaVu Sans", Arial, sans-serif; }
header { background: #1f4e79; color: #fff; padding: 16px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: .9; font-size: 14px; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 28px 40px; }
section { background: #fff; margin: 18px 0; padding: 14px 20px 18px; border-radius: 6px;
          box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left;
         vertical-align: top; }
thead th { background: var(--head); position: sticky; top: 0; white-space: nowrap; }
td.num, td.date, td.unit { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; color: var(--grey); }
.muted, .note { color: var(--grey); font-size: 13px; }
.note { font-style: italic; }
.empty { color: var(--grey); font-style: italic; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12.5px;
         font-weight: 600; white-space: nowrap; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 0 0 10px; }
.chips li { border-radius: 12px; padding: 1px 10px; font-size: 13px; }
.green { background: #e3f3e7; color: var(--green); }
.amber { background: #fdf0d8; color: var(--amber); }
.red { background: #fbe3e1; color: var(--red); }
.grey { background: #eceef1; color: var(--grey); }
.blue { background: #e2ecf6; color: var(--blue); }
.progress { display: flex; align-items: center; gap: 6px; min-width: 150px; }
.bar { flex: 1; height: 8px; background: #e3e6ea; border-radius: 4px; overflow: hidden;
       min-width: 80px; }
.fill { height: 100%; border-radius: 4px; }
.fill.green { background: var(--green); }
.fill.amber { background: #c77700; }
.fill.red { background: var(--red); }
.fill.grey { background: var(--grey); }
.fill.blue { background: var(--blue); }
.pct { font-size: 12.5px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.graph { overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 4px; }
.graph svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
ul.plans, ul.plans ul { list-style: none; margin: 0; padding-left: 18px; }
ul.plans { padding-left: 0; }
ul.plans li { margin: 3px 0; }
ul.plans ul { border-left: 2px solid var(--line); margin-left: 6px; }
.kind { display: inline-block; min-width: 5.5em; font-size: 12px; color: var(--grey); }
header a { color: #fff; }
header .lang, header .tools { float: right; margin: 2px 0 0 16px; font-size: 14px; }
.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap;
          gap: 14px; font-size: 13px; color: var(--grey); }
a { color: var(--blue); }
a:focus-visible, summary:focus-visible, button:focus-visible, select:focus-visible,
input:focus-visible { outline: 3px solid #c77700; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: #fff; color: var(--blue);
        padding: 6px 10px; z-index: 10; }
.skip:focus { left: 8px; top: 8px; }
nav.crumbs { font-size: 13.5px; margin: 4px 0 0; }
nav.crumbs ol { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
nav.crumbs li + li::before { content: "›"; margin: 0 4px 0 0; opacity: .8; }
nav.crumbs a { color: #fff; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
.changes ul { margin: 6px 0 0; padding-left: 20px; }
.changes .headline { font-size: 16px; font-weight: 600; margin: 0 0 6px; }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr));
               gap: 8px 12px; align-items: end; margin: 0 0 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 13px; gap: 2px;
                     color: var(--ink); }
form.filters select, form.filters input { font: inherit; font-size: 14px; padding: 4px 6px;
                     border: 1px solid #8a939e; border-radius: 4px; background: #fff;
                     min-height: 32px; }
form.filters .actions { display: flex; gap: 10px; align-items: center; }
form.filters button { font: inherit; font-size: 14px; padding: 5px 14px; border-radius: 4px;
                      border: 1px solid var(--blue); background: var(--blue); color: #fff;
                      min-height: 32px; cursor: pointer; }
nav.pages { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 10px 0 0;
            font-size: 14px; }
details > summary { cursor: pointer; color: var(--blue); font-size: 13.5px; margin: 4px 0 0; }
details table { margin: 6px 0 4px; font-size: 13px; }
.chips a { color: inherit; text-decoration: none; }
.chips a:hover, .chips a:focus-visible { text-decoration: underline; }
.chart { margin: 8px 0 4px; max-width: 760px; }
.chart svg { width: 100%; height: auto; display: block; }
ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
ol.timeline li { position: relative; margin: 0 0 10px; padding: 0 0 0 14px; }
ol.timeline li::before { content: ""; position: absolute; left: -7.5px; top: 6px; width: 12px;
                         height: 12px; border-radius: 50%; background: var(--grey); }
ol.timeline li.red::before { background: var(--red); }
ol.timeline li.amber::before { background: #c77700; }
ol.timeline li.green::before { background: var(--green); }
ol.timeline li.blue::before { background: var(--blue); }
ol.timeline li { background: none; color: inherit; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--grey); font-size: 13.5px; }
dl.facts dd { margin: 0; }
ul.units { list-style: none; padding: 0; margin: 0; display: grid;
           grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 8px; }
ul.units li { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
@media (max-width: 640px) {
  header { padding: 12px 14px; }
  header h1 { font-size: 19px; }
  main { padding: 4px 8px 24px; }
  section { padding: 10px 10px 14px; margin: 10px 0; }
  th, td { padding: 5px 5px; }
  table.targets td.num, table.targets th { white-space: normal; }
  .progress { min-width: 96px; }
  .bar { min-width: 48px; }
  thead th { position: static; }
  /* The targets' rows as cards: each cell on its own line, named by its column. */
  table.targets thead, table.units thead { display: none; }
  table.targets, table.targets > tbody, table.targets > tbody > tr, table.targets > tbody > tr > td,
  table.units, table.units > tbody, table.units > tbody > tr, table.units > tbody > tr > td {
    display: block; width: 100%; }
  table.targets > tbody > tr, table.units > tbody > tr { border-bottom: 2px solid var(--line);
    padding: 6px 0; }
  table.targets > tbody > tr > td, table.units > tbody > tr > td { border: none; padding: 2px 2px;
    text-align: left; white-space: normal; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--grey); font-size: 12.5px; }
  td[data-label] .progress { display: inline-flex; vertical-align: middle; }
  .chart svg { min-width: 520px; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin: 0 0 6px; }
}
@media print {
  body { background: #fff; font-size: 11pt; }
  header { background: #fff; color: #000; padding: 0 0 6px; border-bottom: 2px solid #000; }
  header a, nav.crumbs a { color: #000; text-decoration: none; }
  header .lang, header .tools, form.filters, nav.pages, .skip { display: none; }
  main { max-width: none; padding: 0; }
  .scroll { overflow: visible; }
  thead th { position: static; }
  a[href^="http"]::after { content: " (" attr(href) ")"; }
  section { box-shadow: none; border: 1px solid var(--line); break-inside: avoid-page; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

}  // namespace

const model::RuleSet& no_rules() {
  static const model::RuleSet kNone;
  return kNone;
}

std::string query_encode(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

std::string page_href(const PageContext& page, std::string_view path, const QueryList& params) {
  std::string href = page.root + std::string(path);
  if (href.empty()) href = "./";
  char separator = '?';
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    href += separator + query_encode(name) + "=" + query_encode(value);
    separator = '&';
  }
  if (page.language == Language::en) href += std::string(1, separator) + "lang=en";
  return href;
}

void open_page(const PageContext& page, std::string_view title, std::span<const Crumb> crumbs,
               std::string_view subtitle_html, std::string& out) {
  const Words& w = words(page.language);
  out += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
                     w.html_lang);
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}</title>\n", html_escape(title));
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
  out += fmt::format("<a class=\"skip\" href=\"#main\">{}</a>\n",
                     page.language == Language::en ? "Skip to the content" : "Bỏ qua đến nội dung");
  // The same page in the other language, by its own name, in its own language: a relative
  // reference of only a query, so that it keeps the path a proxy serves the page under.
  const Language other = page.language == Language::vi ? Language::en : Language::vi;
  const Words& them = words(other);
  std::string href = "?";
  for (const auto& [name, value] : page.query) {
    if (name == "lang") continue;
    href += query_encode(name) + "=" + query_encode(value) + "&";
  }
  href += "lang=" + std::string(them.html_lang);
  out += fmt::format(
      "<header>\n<p class=\"lang\"><a href=\"{0}\" hreflang=\"{1}\" lang=\"{1}\" "
      "title=\"{2}\">{3}</a></p>\n",
      html_escape(href), them.html_lang, html_escape(w.switch_title),
      html_escape(them.language_name));
  if (!crumbs.empty()) {
    out += fmt::format("<nav class=\"crumbs\" aria-label=\"{}\"><ol>",
                       page.language == Language::en ? "Breadcrumb" : "Đường dẫn");
    for (const Crumb& crumb : crumbs) {
      out += crumb.href.empty()
                 ? fmt::format("<li aria-current=\"page\">{}</li>", html_escape(crumb.label))
                 : fmt::format("<li><a href=\"{}\">{}</a></li>", html_escape(crumb.href),
                               html_escape(crumb.label));
    }
    out += "</ol></nav>\n";
  }
  out += fmt::format("<h1>{}</h1>\n<p>{}", html_escape(title), subtitle_html);
  if (!page.generated_at.empty()) {
    out += fmt::format("{0}<time datetime=\"{1}\">{1}</time> (UTC)", html_escape(w.generated_at),
                       html_escape(page.generated_at));
  }
  out += "</p>\n</header>\n<main id=\"main\">\n";
}

std::string scroll_box(std::string_view label) {
  return fmt::format("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{}\">",
                     html_escape(label));
}

std::string page_links(const PageContext& page, std::string_view path, std::size_t current,
                       std::size_t pages, std::string_view anchor) {
  if (pages <= 1) return {};
  const bool en = page.language == Language::en;
  const auto link = [&](std::size_t n) {
    QueryList params;
    for (const auto& [name, value] : page.query) {
      if (name != "page" && name != "lang") params.emplace_back(name, value);
    }
    params.emplace_back("page", std::to_string(n));
    return html_escape(page_href(page, path, params)) + std::string(anchor);
  };
  std::string out =
      fmt::format("<nav class=\"pages\" aria-label=\"{}\">", en ? "Pages" : "Phân trang");
  if (current > 1) {
    out += fmt::format("<a href=\"{}\" rel=\"prev\">← {}</a>", link(current - 1),
                       en ? "Previous" : "Trang trước");
  }
  out += fmt::format("<span>{}</span>",
                     html_escape(fmt::format(fmt::runtime(en ? "Page {} of {}" : "Trang {} / {}"),
                                             count_text(current, page.language),
                                             count_text(pages, page.language))));
  if (current < pages) {
    out += fmt::format("<a href=\"{}\" rel=\"next\">{} →</a>", link(current + 1),
                       en ? "Next" : "Trang sau");
  }
  return out + "</nav>\n";
}

void close_page(std::string& out) { out += "</main>\n</body>\n</html>\n"; }

}  // namespace tiendo::service::detail
