// The rules language's tokenizer (src/tokenizer.js), driven the way CodeMirror's
// StreamLanguage drives it (a StringStream per line, the state carried over), on the
// repository's real rules and tests files and on the forms LANGUAGE.md lists.
//
//   cd web/editor && node --test test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { StringStream } from "@codemirror/language";
import { createRulesParser } from "../src/tokenizer.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");

// Every token of `text`: { line, text, type } (whitespace left out).
function tokenize(text, words) {
  const parser = createRulesParser(words);
  let state = parser.startState(2);
  const tokens = [];
  text.split("\n").forEach((line, index) => {
    const stream = new StringStream(line, 2, 2);
    while (!stream.eol()) {
      const before = stream.pos;
      const type = parser.token(stream, state);
      assert.ok(stream.pos > before, `no progress on line ${index + 1}: ${line}`);
      const piece = line.slice(stream.start, stream.pos);
      if (type) tokens.push({ line: index, text: piece, type });
      else assert.match(piece, /^\s*$/, `untyped token '${piece}' on line ${index + 1}`);
      stream.start = stream.pos;
    }
    state = parser.copyState(state);
  });
  return { tokens, state };
}

function typeOf(tokens, text, line) {
  const found = tokens.find((t) => t.text === text && (line === undefined || t.line === line));
  assert.ok(found, `no token '${text}'${line === undefined ? "" : ` on line ${line + 1}`}`);
  return found.type;
}

const types = (text, words) => tokenize(text, words).tokens.map((t) => [t.text, t.type]);

test("declarations: the kind is a keyword, the name a definition", () => {
  for (const kind of ["indicator", "plan", "task", "channel", "rule", "set"]) {
    assert.deepEqual(types(`${kind} some_name {\n}`), [
      [kind, "keyword"],
      ["some_name", "definition"],
      ["{", "brace"],
      ["}", "brace"],
    ]);
  }
  assert.deepEqual(types('test "Q3/2022 report" {'), [
    ["test", "keyword"],
    ['"Q3/2022 report"', "testName"],
    ["{", "brace"],
  ]);
  // Inside a block the same words are no declarations.
  const { tokens } = tokenize("rule r {\n  needs task_a\n  notify set_b\n}");
  assert.equal(typeOf(tokens, "task_a"), "name");
  assert.equal(typeOf(tokens, "set_b"), "name");
});

test("comments, strings, escapes and placeholders", () => {
  assert.deepEqual(types("levels province > district # the levels, top first"), [
    ["levels", "keyword"],
    ["province", "name"],
    [">", "operator"],
    ["district", "name"],
    ["# the levels, top first", "comment"],
  ]);
  assert.deepEqual(types('message "{title}: \\"{value}\\" # không phải chú thích\\n"'), [
    ["message", "keyword"],
    ['"', "string"],
    ["{title}", "placeholder"],
    [": ", "string"],
    ['\\"', "escape"],
    ["{value}", "placeholder"],
    ['\\"', "escape"],
    [" # không phải chú thích", "string"],
    ["\\n", "escape"],
    ['"', "string"],
  ]);
  // A string left open ends with its line.
  const { tokens } = tokenize('title "Tỷ lệ hồ sơ\nowner x');
  assert.equal(typeOf(tokens, '"Tỷ lệ hồ sơ'), "string");
  assert.equal(typeOf(tokens, "owner"), "keyword");
});

test("dates in every form, durations, numbers and percentages", () => {
  const dates = [
    "2022-12-31",
    "31/12/2022",
    "5/8/2022",
    "2022-Q3",
    "Q3/2022",
    "2022-09",
    "12/2022",
    "Quý IV/2022",
    "quý 4/2022",
    "QUÍ 4 / 2022",
    "Quy\u0301 III/2022", // the accent as a combining character (NFD)
    "tháng 12/2022",
    "Tháng 9/2022",
  ];
  for (const date of dates) assert.deepEqual(types(`due ${date}`), [["due", "keyword"], [date, "date"]]);
  for (const d of ["120d", "2w", "3m", "1y"]) {
    assert.deepEqual(types(`stale after ${d}`), [["stale", "keyword"], ["after", "keyword"], [d, "duration"]]);
  }
  assert.deepEqual(types("require x >= 77.62% by 2022"), [
    ["require", "keyword"],
    ["x", "name"],
    [">=", "operator"],
    ["77.62%", "number"],
    ["by", "keyword"],
    ["2022", "number"],
  ]);
  // Unaccented, the words are names (as the grammar reads them).
  assert.deepEqual(types("by Quy IV"), [["by", "keyword"], ["Quy", "name"], ["IV", "name"]]);
  // Numbers as documents write them (the checker refuses them, with the spelling to use),
  // a comma before a duration that separates arguments, a range.
  assert.deepEqual(types("99,5% 3.103.499 change(x,90d) range 0 .. 1"), [
    ["99,5%", "number"],
    ["3.103.499", "number"],
    ["change", "function"],
    ["(", "paren"],
    ["x", "name"],
    [",", "separator"],
    ["90d", "duration"],
    [")", "paren"],
    ["range", "keyword"],
    ["0", "number"],
    ["..", "operator"],
    ["1", "number"],
  ]);
  assert.deepEqual(types("require x ≥ 50% and y ≤ 3103499"), [
    ["require", "keyword"],
    ["x", "name"],
    ["≥", "operator"],
    ["50%", "number"],
    ["and", "keyword"],
    ["y", "name"],
    ["≤", "operator"],
    ["3103499", "number"],
  ]);
});

test("functions only before '(', values, and the page's word lists", () => {
  assert.deepEqual(types("require share(commune, count(x, district) >= 1) >= 100%"), [
    ["require", "keyword"],
    ["share", "function"],
    ["(", "paren"],
    ["commune", "name"],
    [",", "separator"],
    ["count", "function"],
    ["(", "paren"],
    ["x", "name"],
    [",", "separator"],
    ["district", "name"],
    [")", "paren"],
    [">=", "operator"],
    ["1", "number"],
    [")", "paren"],
    [">=", "operator"],
    ["100%", "number"],
  ]);
  assert.deepEqual(types("unit count"), [["unit", "keyword"], ["count", "value"]]);
  assert.deepEqual(types("expect dong_nai online_2022 at_risk"), [
    ["expect", "keyword"],
    ["dong_nai", "name"],
    ["online_2022", "name"],
    ["at_risk", "value"],
  ]);
  // The server's lists replace the built-in ones.
  const words = { keywords: ["indicator", "frobnicate"], functions: ["twice"] };
  assert.deepEqual(types("frobnicate twice(x) sum(x)", words), [
    ["frobnicate", "keyword"],
    ["twice", "function"],
    ["(", "paren"],
    ["x", "name"],
    [")", "paren"],
    ["sum", "name"],
    ["(", "paren"],
    ["x", "name"],
    [")", "paren"],
  ]);
});

test("indentation follows the braces", () => {
  const parser = createRulesParser();
  const { state } = tokenize("rule r {\n  amend from 2022-10-15 {\n");
  assert.equal(state.depth, 2);
  assert.equal(parser.indent(state, "require x", { unit: 2 }), 4);
  assert.equal(parser.indent(state, "}", { unit: 2 }), 2);
});

test("the repository's rules and tests files: every piece gets its type", () => {
  const rules = readFileSync(join(root, "rules", "dong-nai-2022.rules"), "utf8");
  const { tokens, state } = tokenize(rules);
  assert.equal(state.depth, 0, "braces balance");
  assert.equal(state.stringType, null);
  assert.ok(!tokens.some((t) => t.type === "invalid"), JSON.stringify(tokens.find((t) => t.type === "invalid")));
  const defined = tokens.filter((t) => t.type === "definition").map((t) => t.text);
  for (const name of ["online_dossier_rate", "NQ05", "KH177", "kho_du_lieu", "online_dossier_2022"]) {
    assert.ok(defined.includes(name), `${name} is defined`);
  }
  assert.ok(tokens.some((t) => t.type === "comment"));
  assert.ok(tokens.some((t) => t.type === "date"));
  assert.ok(tokens.some((t) => t.type === "duration"));
  assert.ok(tokens.some((t) => t.type === "function"));

  const tests = readFileSync(join(root, "rules", "dong-nai-2022.tests"), "utf8");
  const t = tokenize(tests);
  assert.equal(t.state.depth, 0);
  assert.ok(!t.tokens.some((x) => x.type === "invalid"), JSON.stringify(t.tokens.find((x) => x.type === "invalid")));
  assert.equal(typeOf(t.tokens, '"Báo cáo Quý III/2022 (231/BC-UBND)"'), "testName");
  assert.equal(typeOf(t.tokens, "observe"), "keyword");
  assert.equal(typeOf(t.tokens, "met"), "value");
  assert.equal(typeOf(t.tokens, "2022-Q3"), "date");
  assert.equal(typeOf(t.tokens, "83.5%"), "number");
});
