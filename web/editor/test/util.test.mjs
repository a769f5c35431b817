// The editor's pure helpers (src/util.js): display names, dates, LSP positions (UTF-16),
// the change formatting makes, diff lines.
//
//   cd web/editor && node --test test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { Text } from "@codemirror/state";
import {
  diffLines,
  displayNames,
  formatInstant,
  formatIsoDay,
  minimalChange,
  offsetOf,
  rangeOf,
} from "../src/util.js";

test("display names drop the longest common directory", () => {
  const names = displayNames([
    "/srv/tiendo/rules/dong-nai-2022.rules",
    "/srv/tiendo/rules/dong-nai-2022.tests",
    "/srv/tiendo/rules/extra/b.rules",
  ]);
  assert.deepEqual([...names.values()], ["dong-nai-2022.rules", "dong-nai-2022.tests", "extra/b.rules"]);
  assert.deepEqual([...displayNames(["/srv/tiendo/rules/a.rules"]).values()], ["a.rules"]);
  assert.deepEqual([...displayNames(["a.rules", "b/c.rules"]).values()], ["a.rules", "b/c.rules"]);
  // Directories are compared whole: "rules" and "rules2" share nothing but "/srv".
  assert.deepEqual([...displayNames(["/srv/rules/a", "/srv/rules2/b"]).values()], ["rules/a", "rules2/b"]);
});

test("dates as the dashboard writes them, instants in local time", () => {
  assert.equal(formatIsoDay("2026-12-07", "vi"), "07/12/2026");
  assert.equal(formatIsoDay("2022-08-05", "vi"), "05/8/2022");
  assert.equal(formatIsoDay("2022-02-05", "vi"), "05/02/2022");
  assert.equal(formatIsoDay("2022-09-30", "en"), "2022-09-30");
  process.env.TZ = "Asia/Ho_Chi_Minh";
  assert.equal(formatInstant("2026-12-07T03:15:02Z", "vi"), "07/12/2026 10:15");
  assert.equal(formatInstant("2026-12-06T20:05:00Z", "en"), "2026-12-07 03:05");
  assert.equal(formatInstant("not a time", "vi"), "not a time");
});

test("LSP positions: 0-based lines, UTF-16 characters, clamped", () => {
  const doc = Text.of(["rule r {", "  title \"Tỷ lệ 😀 x\"", "}"]);
  assert.equal(offsetOf(doc, { line: 0, character: 5 }), 5);
  // 😀 is two UTF-16 code units, as in JavaScript and CodeMirror.
  const line = doc.line(2);
  const x = line.text.indexOf("x");
  assert.equal(offsetOf(doc, { line: 1, character: x }), line.from + x);
  assert.equal(doc.sliceString(offsetOf(doc, { line: 1, character: x }), offsetOf(doc, { line: 1, character: x + 1 })), "x");
  assert.equal(offsetOf(doc, { line: 0, character: 99 }), doc.line(1).to);
  assert.equal(offsetOf(doc, { line: 7, character: 0 }), doc.length);
  assert.equal(offsetOf(doc, { line: -1, character: 3 }), 0);
  assert.deepEqual(rangeOf(doc, { start: { line: 0, character: 5 }, end: { line: 0, character: 6 } }), { from: 5, to: 6 });
  assert.deepEqual(rangeOf(doc, { start: { line: 0, character: 6 }, end: { line: 0, character: 5 } }), { from: 5, to: 6 });
  assert.deepEqual(rangeOf(doc, undefined), { from: 0, to: 0 });
});

test("formatting's change keeps what did not move", () => {
  const before = "rule r {\n title \"x\"\n}\n";
  const after = "rule r {\n  title \"x\"\n}\n";
  const change = minimalChange(before, after);
  assert.deepEqual(change, { from: 10, to: 10, insert: " " });
  const applied = before.slice(0, change.from) + change.insert + before.slice(change.to);
  assert.equal(applied, after);
  assert.deepEqual(minimalChange("abc", "abc"), { from: 3, to: 3, insert: "" });
  assert.deepEqual(minimalChange("aaa", "aa"), { from: 2, to: 3, insert: "" });
});

test("diff lines get their kinds", () => {
  const diff = "--- a/x.rules\n+++ b/x.rules\n@@ -1,2 +1,2 @@\n rule r {\n-  title \"a\"\n+  title \"b\"\n--- not a header\n";
  assert.deepEqual(
    diffLines(diff).map((l) => l.kind),
    ["file", "file", "hunk", "context", "del", "add", "del"],
  );
  assert.deepEqual(diffLines(""), []);
});
