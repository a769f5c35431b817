// The VS Code side of tiendo's rules language: starts `tiendo lsp` (the language server
// of the tiendo program, docs/authoring.md) for every rules and tests file. Colours come
// from the TextMate grammar (syntaxes/); everything else — diagnostics, hover, go to
// definition, rename, completion, quick fixes, formatting, rule tests on save — from the
// server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("tiendo").get("path") || "tiendo";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "tiendo",
    "tiendo rules",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "tiendo" },
        { scheme: "untitled", language: "tiendo" },
      ],
    },
  );
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `tiendo: cannot start "${command} lsp" (${error.message}); set tiendo.path to the tiendo program`,
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
