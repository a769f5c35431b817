// `tiendo history`: every stored revision of an observation.
#include "store/ingest.hpp"
#include "store/sql/statements.hpp"

namespace tiendo::store {

DbResult<std::vector<ObservationRevision>> history(Database& db, const std::string& indicator,
                                                   const std::string& unit) {
  Statement statement = sql::prepare(db, R"sql(
SELECT indicator, unit, period_start, period_end, value, numerator, denominator,
  coalesce(source, ''), coalesce(note, ''), input, input_line, revision, ingested_at, estimate
FROM observations WHERE indicator = ?1 AND (?2 = '' OR unit = ?2)
ORDER BY unit, period_start, period_end, revision)sql");
  statement.bind(1, indicator).bind(2, unit);
  std::vector<ObservationRevision> revisions;
  while (statement.step()) {
    ObservationRevision r;
    r.indicator = statement.column_text(0);
    r.unit = statement.column_text(1);
    r.period_start = statement.column_text(2);
    r.period_end = statement.column_text(3);
    r.value = statement.column_double(4);
    if (!statement.column_is_null(5)) r.numerator = statement.column_double(5);
    if (!statement.column_is_null(6)) r.denominator = statement.column_double(6);
    r.source = statement.column_text(7);
    r.note = statement.column_text(8);
    r.input = statement.column_text(9);
    r.input_line = statement.column_int(10);
    r.revision = statement.column_int(11);
    r.ingested_at = statement.column_text(12);
    r.estimate = statement.column_int(13) != 0;
    revisions.push_back(std::move(r));
  }
  if (statement.error()) return *statement.error();
  return revisions;
}

}  // namespace tiendo::store
