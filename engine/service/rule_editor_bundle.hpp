// The rule editor's script (web/editor, CodeMirror 6 bundled by esbuild at build time;
// see cmake/RuleEditorBundle.cmake): served at /assets/rule-editor.js for the "Quy tắc"
// page (/editor).
#pragma once

#include <string_view>

namespace tiendo::service {

// The bundle's bytes (minified JavaScript).
std::string_view rule_editor_script();
// The first 16 hex digits of the bundle's SHA-256: the page asks for
// /assets/rule-editor.js?v=<this>, so that a new build is never served from a stale cache.
std::string_view rule_editor_script_version();

}  // namespace tiendo::service
