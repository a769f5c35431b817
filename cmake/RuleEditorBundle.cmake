# The rule editor page's script (service/rule_editor_bundle.hpp): web/editor's sources,
# CodeMirror 6 from npm, bundled by esbuild into one minified script, then compiled into
# tiendo_engine as a string (cmake/EmbedFile.cmake), so the service needs no files beside
# its binary and serves the script at /assets/rule-editor.js.
#
# Included from engine/CMakeLists.txt, after tiendo_engine is defined. Needs Node.js and
# web/editor/node_modules (npm ci, from web/editor/package-lock.json), which
# scripts/lib.sh's tiendo_configure installs before configuring.

set(TIENDO_EDITOR_DIR "${PROJECT_SOURCE_DIR}/web/editor")
set(TIENDO_EDITOR_ESBUILD "${TIENDO_EDITOR_DIR}/node_modules/.bin/esbuild")

find_program(TIENDO_NODE node)
set(_tiendo_editor_missing "")
if(NOT TIENDO_NODE)
  string(APPEND _tiendo_editor_missing "\n  - Node.js (`node` is not on PATH)")
endif()
if(NOT EXISTS "${TIENDO_EDITOR_ESBUILD}")
  string(APPEND _tiendo_editor_missing
         "\n  - esbuild and CodeMirror (${TIENDO_EDITOR_ESBUILD} is missing)")
endif()
if(_tiendo_editor_missing)
  message(FATAL_ERROR
    "The rule editor's script (web/editor) cannot be built; missing:"
    "${_tiendo_editor_missing}\n"
    "Run ./scripts/test or ./scripts/run-example, which install Node.js and web/editor's "
    "npm packages, or install Node.js (>= 18) and run `npm ci` in web/editor.")
endif()

file(GLOB_RECURSE _tiendo_editor_sources CONFIGURE_DEPENDS "${TIENDO_EDITOR_DIR}/src/*")
set(_tiendo_editor_out "${CMAKE_CURRENT_BINARY_DIR}/generated")
set(TIENDO_EDITOR_SCRIPT "${_tiendo_editor_out}/rule-editor.js")
set(TIENDO_EDITOR_BUNDLE_CPP "${_tiendo_editor_out}/rule_editor_bundle.cpp")
cmake_path(GET TIENDO_NODE PARENT_PATH _tiendo_node_dir)

# esbuild's node_modules/.bin/esbuild may be its native binary or its Node.js launcher
# (when npm ran no install scripts): Node's directory goes first on PATH for the latter.
# ASCII output (esbuild's default, said outright): every non-ASCII character as an
# escape, which EmbedFile.cmake relies on.
add_custom_command(
  OUTPUT "${TIENDO_EDITOR_SCRIPT}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${_tiendo_editor_out}"
  COMMAND "${CMAKE_COMMAND}" -E env "PATH=${_tiendo_node_dir}:$ENV{PATH}"
          "${TIENDO_EDITOR_ESBUILD}" "${TIENDO_EDITOR_DIR}/src/main.js"
          --bundle --minify --format=iife --target=es2020 --legal-comments=none
          --charset=ascii --log-level=warning "--outfile=${TIENDO_EDITOR_SCRIPT}"
  DEPENDS ${_tiendo_editor_sources}
          "${TIENDO_EDITOR_DIR}/package.json"
          "${TIENDO_EDITOR_DIR}/package-lock.json"
  WORKING_DIRECTORY "${TIENDO_EDITOR_DIR}"
  COMMENT "Bundling the rule editor's script (web/editor, esbuild)"
  VERBATIM)

add_custom_command(
  OUTPUT "${TIENDO_EDITOR_BUNDLE_CPP}"
  COMMAND "${CMAKE_COMMAND}"
          "-DINPUT=${TIENDO_EDITOR_SCRIPT}"
          "-DOUTPUT=${TIENDO_EDITOR_BUNDLE_CPP}"
          "-DHEADER=service/rule_editor_bundle.hpp"
          "-DNAMESPACE=tiendo::service"
          "-DDATA_FUNCTION=rule_editor_script"
          "-DVERSION_FUNCTION=rule_editor_script_version"
          "-DDELIMITER=tiendo_js"
          -P "${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake"
  DEPENDS "${TIENDO_EDITOR_SCRIPT}" "${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake"
  COMMENT "Embedding the rule editor's script"
  VERBATIM)

target_sources(tiendo_engine PRIVATE "${TIENDO_EDITOR_BUNDLE_CPP}")
