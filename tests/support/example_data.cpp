#include "support/example_data.hpp"

#include <optional>
#include <vector>

#include "dsl/check.hpp"
#include "dsl/diagnostic.hpp"
#include "dsl/parse.hpp"
#include "store/ingest.hpp"

namespace tiendo::testing {

std::unique_ptr<ExampleEvaluation> evaluate_example(std::string_view at, std::string& error,
                                                    store::Database* db) {
  const std::string source = TIENDO_SOURCE_DIR;
  const std::optional<model::Date> date = model::parse_iso_date(at);
  if (!date) {
    error = "not a date: " + std::string(at);
    return nullptr;
  }
  auto example = std::make_unique<ExampleEvaluation>();
  dsl::LoadedRuleSet loaded = dsl::load_rule_set({source + "/rules"});
  if (!loaded.rule_set) {
    for (const dsl::Diagnostic& d : loaded.program.diagnostics.all()) {
      error += dsl::render(d, loaded.program.sources);
    }
    return nullptr;
  }
  example->rules = std::move(*loaded.rule_set);
  std::optional<store::Database> own;
  if (!db) {
    auto opened = store::Database::open(":memory:");
    if (auto* e = std::get_if<store::DbError>(&opened)) {
      error = e->message;
      return nullptr;
    }
    db = &own.emplace(std::move(std::get<store::Database>(opened)));
  }
  std::vector<store::IngestInput> inputs;
  for (const char* name :
       {"units.csv", "observations-2022.csv", "community-teams.csv", "task-status.json"}) {
    const std::string path = source + "/examples/" + name;
    const auto text = dsl::read_file(path, error);
    if (!text) {
      error = path + ": " + error;
      return nullptr;
    }
    inputs.push_back({path, *text});
  }
  store::IngestOptions options;
  options.rules = &example->rules;
  options.now = "2022-10-01T00:00:00Z";
  auto ingested = store::ingest(*db, inputs, options);
  if (auto* e = std::get_if<store::DbError>(&ingested)) {
    error = e->message;
    return nullptr;
  }
  const store::IngestSummary& summary = std::get<store::IngestSummary>(ingested);
  if (!summary.committed) {
    for (const store::RowError& e : summary.errors) error += e.input + ": " + e.message + "\n";
    return nullptr;
  }
  auto snapshot = store::load_snapshot(*db, example->rules);
  if (auto* e = std::get_if<store::DbError>(&snapshot)) {
    error = e->message;
    return nullptr;
  }
  example->snapshot = std::move(std::get<store::Snapshot>(snapshot));
  example->results = eval::evaluate(example->rules, example->snapshot, *date);
  return example;
}

}  // namespace tiendo::testing
