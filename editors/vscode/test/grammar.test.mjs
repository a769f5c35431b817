// The TextMate grammar on the repository's real rules and tests files, through
// vscode-textmate and vscode-oniguruma (the engine and regular expressions VS Code itself
// uses): every line tokenizes, and the pieces that matter get their scopes — a
// declaration's kind and name, comments, strings with their placeholders (Vietnamese
// text inside), dates in each form the language takes, percentages, durations, functions,
// clause keywords.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");

async function grammar() {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.tiendo") return null;
      const path = join(here, "..", "syntaxes", "tiendo.tmLanguage.json");
      return vsctm.parseRawGrammar(readFileSync(path, "utf8"), path);
    },
  });
  return registry.loadGrammar("source.tiendo");
}

// Every token of `text`: { line, text, scopes }.
function tokenize(g, text) {
  const tokens = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, index) => {
    const result = g.tokenizeLine(line, stack);
    for (const t of result.tokens) {
      tokens.push({ line: index, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    stack = result.ruleStack;
  });
  return tokens;
}

function scopeOf(tokens, text, line) {
  const found = tokens.find((t) => t.text === text && (line === undefined || t.line === line));
  assert.ok(found, `no token '${text}'`);
  return found.scopes[found.scopes.length - 1];
}

test("the rules file of Đồng Nai: every piece gets its scope", async () => {
  const g = await grammar();
  const text = readFileSync(join(root, "rules", "dong-nai-2022.rules"), "utf8");
  const tokens = tokenize(g, text);
  const lines = text.split("\n");
  assert.equal(new Set(tokens.map((t) => t.line)).size >= lines.length - 1, true);

  const declaration = lines.findIndex((l) => l.startsWith("indicator smartphone_rate"));
  assert.equal(scopeOf(tokens, "indicator", declaration), "storage.type.indicator.tiendo");
  assert.equal(scopeOf(tokens, "smartphone_rate", declaration), "entity.name.type.indicator.tiendo");
  const rule = lines.findIndex((l) => l.startsWith("rule smartphone_2022"));
  assert.equal(scopeOf(tokens, "smartphone_2022", rule), "entity.name.type.rule.tiendo");

  // A comment with Vietnamese text is one comment token.
  assert.equal(scopeOf(tokens, "# Đồng Nai — chuyển đổi số 2022", 0), "comment.line.number-sign.tiendo");
  // The title's string, whole.
  const title = tokens.find((t) => t.line === rule + 1 && t.text.includes("Tỷ lệ dân số"));
  assert.ok(title.scopes.includes("string.quoted.double.tiendo"), JSON.stringify(title));

  const require_ = rule + 2;
  assert.equal(lines[require_].trim(), "require smartphone_rate >= 85% by 2022-12-31");
  assert.equal(scopeOf(tokens, "require", require_), "keyword.other.clause.tiendo");
  assert.equal(scopeOf(tokens, ">=", require_), "keyword.operator.tiendo");
  assert.equal(scopeOf(tokens, "85%", require_), "constant.numeric.tiendo");
  assert.equal(scopeOf(tokens, "by", require_), "keyword.control.tiendo");
  assert.equal(scopeOf(tokens, "2022-12-31", require_), "constant.numeric.date.tiendo");
  assert.equal(scopeOf(tokens, "smartphone_rate", require_), "variable.other.name.tiendo");
  assert.equal(scopeOf(tokens, "120d"), "constant.numeric.duration.tiendo");
  assert.equal(scopeOf(tokens, "percent"), "constant.language.tiendo");
});

test("the tests file: test blocks, observations and expectations", async () => {
  const g = await grammar();
  const text = readFileSync(join(root, "rules", "dong-nai-2022.tests"), "utf8");
  const tokens = tokenize(g, text);
  assert.equal(scopeOf(tokens, "test"), "storage.type.test.tiendo");
  assert.equal(scopeOf(tokens, "observe"), "keyword.control.tiendo");
  assert.equal(scopeOf(tokens, "expect"), "keyword.control.tiendo");
  assert.equal(scopeOf(tokens, "2022-Q3"), "constant.numeric.date.tiendo");
  assert.equal(scopeOf(tokens, "met"), "constant.language.tiendo");
});

test("the date forms of the documents, functions and placeholders", async () => {
  const g = await grammar();
  const tokens = tokenize(
    g,
    [
      'rule r {',
      '  require share(commune, teams >= 1) >= 100% by Quý III/2022',
      '  warn within 30d',
      '  message "Còn {days} ngày: {value} so với {target}"',
      '}',
      'task t { due 31/12/2022 }',
      'task u { due tháng 12/2022 }',
    ].join("\n"),
  );
  assert.equal(scopeOf(tokens, "share"), "support.function.tiendo");
  assert.equal(scopeOf(tokens, "Quý III/2022"), "constant.numeric.date.tiendo");
  assert.equal(scopeOf(tokens, "31/12/2022"), "constant.numeric.date.tiendo");
  assert.equal(scopeOf(tokens, "tháng 12/2022"), "constant.numeric.date.tiendo");
  assert.equal(scopeOf(tokens, "30d"), "constant.numeric.duration.tiendo");
  assert.equal(scopeOf(tokens, "{days}"), "variable.other.placeholder.tiendo");
  assert.equal(scopeOf(tokens, "{target}"), "variable.other.placeholder.tiendo");
});
