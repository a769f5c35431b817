#!/bin/sh
# Packages the extension with @vscode/vsce, as a release would, into $1, and checks what
# the package holds: the extension, its grammar and language configuration, the language
# client it needs at run time, and neither its tests nor its development packages.
# Run by CTest (vscode_package); needs the npm packages of editors/vscode (./scripts/test
# installs them).
set -eu
out="$1"
cd "$(dirname "$0")/.."
rm -f "${out}"
./node_modules/.bin/vsce package --skip-license --allow-missing-repository --out "${out}"
/usr/bin/python3 - "${out}" <<'PY'
import json
import sys
import zipfile

package = zipfile.ZipFile(sys.argv[1])
names = set(package.namelist())
for needed in ("extension/extension.js", "extension/package.json",
               "extension/syntaxes/tiendo.tmLanguage.json",
               "extension/language-configuration.json",
               "extension/node_modules/vscode-languageclient/node.js"):
    if needed not in names:
        sys.exit(f"{sys.argv[1]}: {needed} is not in the package")
for unwanted in ("extension/test/", "extension/node_modules/@vscode/vsce/",
                 "extension/node_modules/vscode-textmate/"):
    if any(n.startswith(unwanted) for n in names):
        sys.exit(f"{sys.argv[1]}: {unwanted} is in the package")
manifest = json.loads(package.read("extension/package.json"))
language = manifest["contributes"]["languages"][0]
if language["id"] != "tiendo" or ".rules" not in language["extensions"]:
    sys.exit(f"{sys.argv[1]}: the package does not declare the rules language")
print(f"{sys.argv[1]}: {len(names)} files: the extension, its grammar, the language client")
PY
