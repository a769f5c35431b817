// The rules language's colours: a CodeMirror 5-style stream tokenizer (run by
// StreamLanguage from @codemirror/language), one token at a time, line by line. It only
// colours; the server's checker (POST check) says what is wrong.
//
// Token names (this parser's tokenTable maps them to @lezer/highlight tags):
//   comment, string, escape, placeholder ({title} inside a message), testName (the
//   string naming a test), definition (the name a declaration declares), keyword,
//   function (a function name followed by "("), value (percent, met, critical, ...),
//   date, duration, number, operator, brace, paren, separator, name (any other
//   identifier), invalid (a character the language has no use for outside strings).
import { tags } from "@lezer/highlight";

// The words a declaration starts with, at the top level; the identifier (or, for `test`,
// the string) after one is the name it declares.
export const DECLARATIONS = ["indicator", "plan", "task", "channel", "rule", "set", "test"];

// Used when the page gives no word lists (the server's lists, from the checker itself,
// are the authority: #rule-editor-keywords).
export const FALLBACK_KEYWORDS = [
  "levels", "include", "indicator", "plan", "task", "channel", "rule", "set", "test",
  "title", "unit", "owner", "stale", "after", "code", "issued", "implements", "part_of",
  "due", "starts", "duration", "email", "webhook", "secret", "env", "format",
  "alertmanager", "send_resolved", "require", "needs", "severity", "warn", "within", "for",
  "repeat", "every", "notify", "message", "label", "range", "units", "level", "basis", "amend",
  "language", "by", "from", "each", "between", "and", "in", "at", "observe", "status",
  "expect",
];
export const FALLBACK_FUNCTIONS = [
  "latest", "sum", "avg", "min", "max", "count", "share", "ratio", "change", "done",
];
// Words that stand for a value: units, severities, booleans, languages, states.
export const VALUES = [
  "percent", "count", "number", "info", "warning", "critical", "true", "false", "vi", "en",
  "native", "not_started", "in_progress", "done", "done_late", "blocked", "cancelled",
  "overdue", "no_report", "met", "on_track", "at_risk", "missed", "ok", "violated",
  "not_yet", "no_data", "stale", "error",
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const PLACEHOLDER = /^\{[A-Za-z_][A-Za-z0-9_]*\}/;
// Dates in every form the language takes (engine/dsl/grammar_def.hpp's date), then
// durations and numbers. The grammar reads `Quý`/`Quí` and `tháng` in any letter case,
// the accent precomposed or combining (U+0301); unaccented `Quy`, `thang` are names.
// Non-ASCII characters are written as escapes: esbuild keeps regular expression
// literals as written, and the bundle must be ASCII (cmake/EmbedFile.cmake).
const DATE_FORMS = [
  /^\d{4}-\d{1,2}-\d{1,2}(?![\w%])/, // 2022-12-31
  /^\d{4}-Q\d(?![\w%])/, // 2022-Q3
  /^\d{4}-\d{1,2}(?![\w%])/, // 2022-09 (a month)
  /^\d{1,2}\/\d{1,2}\/\d{4}(?![\w%])/, // 31/12/2022, 5/8/2022
  /^\d{1,2}\/\d{4}(?![\w%])/, // 12/2022 (a month)
];
const WORD_DATE_FORMS = [
  /^Q\d\/\d{4}(?![\w%])/, // Q3/2022
  // Quý IV/2022, quý 4/2022, QUÍ 4 / 2022
  /^qu(?:\u00fd|\u00ed|[yi]\u0301)[ \t]*[0-9ivx]+[ \t]*\/[ \t]*\d+(?![\w%])/i,
  // tháng 12/2022
  /^th(?:\u00e1|a\u0301)ng[ \t]*[0-9ivx]+[ \t]*\/[ \t]*\d+(?![\w%])/i,
];
const DURATION = /^\d+[dwmy](?![A-Za-z0-9_])/;
// 77.62, 50%, and as documents write numbers (99,5 or 3.103.499: the checker says how to
// write them); a comma before a duration separates arguments: change(x,90d).
const NUMBER = /^\d+(?:[.,]\d+(?![\dA-Za-z_]))*%?/;
// .. (range 0 .. 1), then ≥ ≤ ≠ (as escapes) and the others.
const OPERATOR = /^(?:\.\.|>=|<=|==|!=|[\u2265\u2264\u2260<>=+\-*/])/;

function wordSet(list, fallback) {
  return new Set(Array.isArray(list) && list.length > 0 ? list : fallback);
}

// The inside of a string, from the current position; strings end at their line's end
// (the language has `\n` for a line break). Escapes and {placeholders} are tokens of
// their own.
function stringToken(stream, state) {
  const type = state.stringType;
  for (;;) {
    if (stream.eol()) {
      state.stringType = null;
      return type;
    }
    const ch = stream.peek();
    if (ch === '"') {
      stream.next();
      state.stringType = null;
      return type;
    }
    const escape = ch === "\\";
    const placeholder = !escape && ch === "{" && stream.match(PLACEHOLDER, false);
    if (escape || placeholder) {
      if (stream.current().length > 0) return type; // what came before first
      if (escape) {
        stream.next();
        stream.next();
      } else {
        stream.match(PLACEHOLDER);
      }
      if (stream.eol()) state.stringType = null;
      return escape ? "escape" : "placeholder";
    }
    stream.next();
  }
}

// A StreamParser spec for the rules language. `words` is the page's
// {keywords: [...], functions: [...]}; either may be missing.
export function createRulesParser(words = {}) {
  const keywords = wordSet(words.keywords, FALLBACK_KEYWORDS);
  const functions = wordSet(words.functions, FALLBACK_FUNCTIONS);
  const values = new Set(VALUES);
  const declarations = new Set(DECLARATIONS);

  return {
    name: "tiendo",
    // depth: braces open; declaring: the declaration word waiting for its name;
    // stringType: inside a string (its token name), or null.
    startState: () => ({ depth: 0, declaring: null, stringType: null }),
    copyState: (s) => ({ depth: s.depth, declaring: s.declaring, stringType: s.stringType }),

    token(stream, state) {
      if (state.stringType) return stringToken(stream, state);
      if (stream.eatSpace()) return null;
      const ch = stream.peek();
      if (ch === "#") {
        stream.skipToEnd();
        return "comment";
      }
      const declaring = state.declaring;
      state.declaring = null;
      if (ch === '"') {
        stream.next();
        state.stringType = declaring === "test" ? "testName" : "string";
        return stringToken(stream, state);
      }
      if (/\d/.test(ch)) {
        for (const form of DATE_FORMS) if (stream.match(form)) return "date";
        if (stream.match(DURATION)) return "duration";
        stream.match(NUMBER);
        return "number";
      }
      for (const form of WORD_DATE_FORMS) if (stream.match(form)) return "date";
      const word = stream.match(IDENT);
      if (word) {
        const name = word[0];
        if (declaring && declaring !== "test") return "definition";
        if (state.depth === 0 && declarations.has(name)) {
          state.declaring = name;
          return "keyword";
        }
        if (functions.has(name) && stream.match(/^\s*\(/, false)) return "function";
        if (keywords.has(name)) return "keyword";
        if (values.has(name)) return "value";
        return "name";
      }
      if (stream.match(OPERATOR)) return "operator";
      stream.next();
      switch (ch) {
        case "{":
          state.depth += 1;
          return "brace";
        case "}":
          state.depth = Math.max(0, state.depth - 1);
          return "brace";
        case "(":
        case ")":
          return "paren";
        case ",":
          return "separator";
        default:
          return "invalid";
      }
    },

    // Inside n braces, n indent units; a line that starts with "}" one less.
    indent(state, textAfter, cx) {
      const depth = state.depth - (/^\s*\}/.test(textAfter) ? 1 : 0);
      return Math.max(0, depth) * cx.unit;
    },

    languageData: {
      commentTokens: { line: "#" },
      indentOnInput: /^\s*\}$/,
    },

    tokenTable: {
      comment: tags.lineComment,
      string: tags.string,
      testName: tags.definition(tags.string),
      escape: tags.escape,
      placeholder: tags.special(tags.string),
      definition: tags.definition(tags.variableName),
      keyword: tags.keyword,
      function: tags.function(tags.variableName),
      value: tags.atom,
      date: tags.special(tags.number),
      duration: tags.unit,
      number: tags.number,
      operator: tags.operator,
      brace: tags.brace,
      paren: tags.paren,
      separator: tags.separator,
      name: tags.variableName,
      invalid: tags.invalid,
    },
  };
}
