// `tiendo report --db FILE --rules PATH [--at DATE] [--since DATE] --format
// md|html|csv|pdf|docx [--output FILE] [heading options]`: the progress report for the people's
// committee, in Vietnamese; as pdf and docx (and html with --document or any heading option) the
// administrative document the committee sends.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <tuple>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/evaluate.hpp"
#include "report/committee.hpp"
#include "report_convert.hpp"
#include "store/database.hpp"
#include "store/runs.hpp"
#include "store/snapshot.hpp"

namespace tiendo::cli {

namespace {

constexpr int kDefaultConverterTimeout = 120;  // seconds; Chromium takes 2–8 s

struct ReportOptions {
  std::string db;
  std::vector<std::string> rules;
  std::optional<std::string> at;  // unset: today; set, even to "", it must be a date
  std::string time_zone = "Asia/Ho_Chi_Minh";
  std::string format = "md";
  std::string output;
  bool document = false;
  report::DocumentOptions heading;
  std::optional<std::string> issued_on;
  int converter_timeout = kDefaultConverterTimeout;
  // The heading options and --converter-timeout, to tell which were given.
  std::vector<CLI::Option*> heading_options;
  CLI::Option* timeout_option = nullptr;
  std::optional<std::string> known_at;
  std::optional<std::string> since;  // --since DATE
  std::string lang = "vi";
};

int fail(const std::string& message, int status) {
  std::fprintf(stderr, "tiendo report: %s\n", message.c_str());
  return status;
}

// What changed from the latest run on or before `since_text` to this evaluation: the
// states that differ by key (a result the run had and this evaluation has not: to none),
// and the alerts that fired and resolved in the runs after it.
std::optional<report::SinceChanges> since_changes(
    const std::string& db_path, const model::RuleSet& rules, const store::Snapshot& snapshot,
    const eval::Results& results, const std::string& since_text, std::string& error) {
  report::SinceChanges since;
  const std::optional<model::Date> date = parse_date_option(since_text, error);
  if (!date) return std::nullopt;
  since.since = *date;
  auto opened = store::Database::open(db_path, store::Database::Mode::read_only);
  if (auto* failed = std::get_if<store::DbError>(&opened)) {
    error = failed->message;
    return std::nullopt;
  }
  store::Database& db = std::get<store::Database>(opened);
  const auto fail_with = [&](const store::DbError& e) {
    error = e.message;
    return std::nullopt;
  };
  auto run =
      store::run_before(db, std::numeric_limits<std::int64_t>::max(), model::to_string(*date));
  if (auto* e = std::get_if<store::DbError>(&run)) return fail_with(*e);
  since.run = std::get<std::int64_t>(run);
  if (since.run == 0) {
    error = fmt::format(
        "no run evaluated on or before {} is recorded in {} (`tiendo run` and the "
        "service record them)",
        model::to_string(*date), db_path);
    return std::nullopt;
  }
  auto run_at = store::kept_run_date(db, since.run);
  if (auto* e = std::get_if<store::DbError>(&run_at)) return fail_with(*e);
  since.run_at = model::parse_iso_date(std::get<std::string>(run_at)).value_or(*date);
  auto stored = store::states_at(db, since.run);
  if (auto* e = std::get_if<store::DbError>(&stored)) return fail_with(*e);
  std::map<std::tuple<store::Subject, std::string, std::string>, std::string> before;
  for (store::StateChange& s : std::get<std::vector<store::StateChange>>(stored)) {
    before.emplace(std::tuple(s.subject, std::move(s.name), std::move(s.unit)),
                   std::move(s.before));
  }
  const auto compare = [&](store::Subject subject, const std::string& name, const std::string& unit,
                           std::string_view state) {
    std::string was;
    if (auto it = before.find(std::tuple(subject, name, unit)); it != before.end()) {
      was = std::move(it->second);
      before.erase(it);
    }
    if (was != state) since.changes.push_back({subject, name, unit, was, std::string(state)});
  };
  for (const eval::RuleResult& r : results.rules) {
    compare(store::Subject::rule, rules.rules[static_cast<std::size_t>(r.rule)].name,
            r.unit >= 0 ? snapshot.units()[static_cast<std::size_t>(r.unit)].id : std::string(),
            eval::to_string(r.state));
  }
  for (const eval::TaskResult& t : results.tasks) {
    compare(store::Subject::task, rules.tasks[static_cast<std::size_t>(t.task)].name, "",
            eval::to_string(t.state));
  }
  for (auto& [key, was] : before) {
    since.changes.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), was, ""});
  }
  auto alerts = store::alert_transitions(db, since.run, std::numeric_limits<std::int64_t>::max());
  if (auto* e = std::get_if<store::DbError>(&alerts)) return fail_with(*e);
  since.alerts = std::get<store::AlertCounts>(alerts);
  return since;
}

int run_report(ReportOptions& options) {
  const bool binary = options.format == "pdf" || options.format == "docx";
  const CLI::Option* given_heading = nullptr;
  for (const CLI::Option* option : options.heading_options) {
    if (option->count() > 0) {
      given_heading = option;
      break;
    }
  }
  if ((options.format == "md" || options.format == "csv") && (given_heading || options.document)) {
    return fail((given_heading ? given_heading->get_name() : std::string("--document")) +
                    " is for --format html, pdf or docx",
                2);
  }
  // The document form is the decree's, in Vietnamese; an English one would be no such
  // document.
  const bool document_form =
      binary || (options.format == "html" && (given_heading || options.document));
  if (document_form && options.lang == "en") {
    return fail(
        "--lang en is for --format md, html or csv: the document (--document, pdf, "
        "docx) is the administrative form of Nghị định 30/2020/NĐ-CP, in Vietnamese",
        2);
  }
  if (options.since && options.format == "csv") {
    return fail("--since is for --format md, html, pdf or docx (the CSV is one row per result)", 2);
  }
  if (options.since) {
    std::string error;
    if (!parse_date_option(*options.since, error)) return fail("--since: " + error, 2);
  }
  if (!binary && options.timeout_option->count() > 0) {
    return fail("--converter-timeout is for --format pdf or docx", 2);
  }
  // A PDF or a DOCX is no text for a terminal; a pipe or a file takes it as it is.
  if (binary && options.output.empty() && ::isatty(STDOUT_FILENO) == 1) {
    return fail("--format " + options.format +
                    " writes a binary file: give --output FILE, or redirect standard output",
                2);
  }
  const std::optional<model::Date> at = evaluation_date("report", options.at, options.time_zone);
  if (!at) return 2;
  if (options.issued_on) {
    std::string error;
    options.heading.issued_on = parse_date_option(*options.issued_on, error);
    if (!options.heading.issued_on) return fail("--issued-on: " + error, 2);
  }
  const std::optional<std::string> known_at =
      known_at_argument("report", options.known_at, options.time_zone);
  if (!known_at) return 2;
  std::optional<EvaluationInputs> inputs = load_evaluation_inputs(
      "report", options.rules, options.db, store::Database::Mode::read_only, *known_at);
  if (!inputs) return 1;
  const model::RuleSet* rules = &inputs->rules;
  const store::Snapshot& data = inputs->snapshot;
  const eval::Results results = eval::evaluate(*rules, data, *at);

  const model::Language language = options.lang == "en" ? model::Language::en : model::Language::vi;
  report::ReportOptions extras;
  // A chart per target in what is read as a page: the HTML and the PDF.
  extras.charts = options.format == "html" || options.format == "pdf";
  std::optional<report::SinceChanges> since;
  if (options.since) {
    std::string error;
    since = since_changes(options.db, *rules, data, results, *options.since, error);
    if (!since) return fail("--since: " + error, 1);
    extras.since = &*since;
  }
  std::string text;
  if (document_form) {
    const report::DocumentForm form = report::document_form(options.heading, data, *at);
    text = report::document_html(*rules, data, results, form, extras);
    if (binary) {
      std::string error;
      std::optional<std::string> file =
          convert_document(options.format == "pdf" ? DocumentFormat::pdf : DocumentFormat::docx,
                           text, std::chrono::seconds(options.converter_timeout), error);
      if (!file) return fail(error, 1);
      text = std::move(*file);
    }
  } else if (options.format == "html") {
    text = report::html(*rules, data, results, language, extras);
  } else if (options.format == "csv") {
    text = report::csv(*rules, data, results, language);
  } else {
    text = report::markdown(*rules, data, results, language, extras);
  }
  if (options.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  std::string error;
  if (!write_atomically(options.output, text, error)) return fail("--output: " + error, 1);
  return 0;
}

}  // namespace

Action add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Write the progress report on every target and late task, in Vietnamese");
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--at", options->at, "The report date (default: today)");
  command->add_option("--time-zone", options->time_zone,
                      "Time zone that decides today's date (default Asia/Ho_Chi_Minh)");
  command->add_option("--known-at", options->known_at, kKnownAtHelp);
  command->add_option("--since", options->since,
                      "Open with what changed since the latest run on or before this date "
                      "(YYYY-MM-DD): states that moved, alerts fired and resolved (md, html, "
                      "pdf, docx)");
  command
      ->add_option("--format", options->format,
                   "md (default), html, csv, or the document to send: pdf (Chromium) or docx "
                   "(pandoc)")
      ->check(CLI::IsMember({"md", "html", "csv", "pdf", "docx"}));
  command
      ->add_option("--lang", options->lang,
                   "vi (default) or en: every word of the report, its states, figures and dates "
                   "(md, html, csv; the document form is Vietnamese)")
      ->check(CLI::IsMember({"vi", "en"}));
  command->add_option("--output", options->output,
                      "Write the report to this file (atomically) instead of standard output");
  command->add_flag("--document", options->document,
                    "With --format html: the document form of pdf and docx, heading and "
                    "signature included");

  report::DocumentOptions& h = options->heading;
  std::vector<CLI::Option*>& given = options->heading_options;
  given.push_back(command->add_option(
      "--issuer", h.issuer,
      "The issuing body, e.g. \"Ban Chỉ đạo chuyển đổi số\" (default: UBND of the root unit)"));
  given.push_back(command->add_option(
      "--parent-body", h.parent_body,
      "The body above the issuer (default with --issuer: UBND of the root unit; \"\" for none)"));
  given.push_back(command->add_option(
      "--number", h.number, "What follows \"Số:\", e.g. 123/BC-BCĐ (default: left blank)"));
  given.push_back(command->add_option(
      "--place", h.place, "The place before the date (default: the root unit, e.g. Đồng Nai)"));
  given.push_back(command->add_option("--issued-on", options->issued_on,
                                      "The document's date (default: --at)"));
  given.push_back(command->add_option("--subject", h.subject,
                                      "The subject under BÁO CÁO (default: the report's date)"));
  given.push_back(
      command
          ->add_option("--sign-as", h.sign_as,
                       "A line above the signature, e.g. \"TM. BAN CHỈ ĐẠO\" (repeatable)")
          ->allow_extra_args(false));
  given.push_back(command->add_option("--signer", h.signer, "The name under the signature"));
  given.push_back(
      command
          ->add_option("--recipient", h.recipients,
                       "A line of \"Nơi nhận\", e.g. \"UBND tỉnh (b/c)\" (repeatable; default: "
                       "Lưu: VT)")
          ->allow_extra_args(false));
  options->timeout_option = command
                                ->add_option("--converter-timeout", options->converter_timeout,
                                             "Seconds Chromium or pandoc may take (default 120)")
                                ->check(CLI::Range(1, 3600));
  return [options] { return run_report(*options); };
}

}  // namespace tiendo::cli
