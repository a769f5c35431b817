// The rules language for CodeMirror: the stream tokenizer as a Language, and colours
// that read on white (every one at least 5:1 against the editor's backgrounds: white,
// the active line, the gutter), since the page is checked with axe-core.
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { createRulesParser } from "./tokenizer.js";

export const rulesHighlightStyle = HighlightStyle.define([
  { tag: tags.comment, color: "#5f6670", fontStyle: "italic" },
  { tag: tags.keyword, color: "#7a1fa2" },
  { tag: tags.definition(tags.variableName), color: "#0550ae", fontWeight: "bold" },
  { tag: tags.definition(tags.string), color: "#116329", fontWeight: "bold" },
  { tag: tags.string, color: "#116329" },
  { tag: [tags.escape, tags.special(tags.string)], color: "#0b5e8c" },
  { tag: tags.function(tags.variableName), color: "#953800" },
  { tag: tags.atom, color: "#1f4e79" },
  { tag: [tags.special(tags.number), tags.unit], color: "#a31515" },
  { tag: tags.number, color: "#0b5e8c" },
  { tag: tags.operator, color: "#1b1f24" },
  { tag: tags.invalid, color: "#b3261e", textDecoration: "underline wavy" },
]);

export function rulesLanguage(words) {
  return [StreamLanguage.define(createRulesParser(words)), syntaxHighlighting(rulesHighlightStyle)];
}
