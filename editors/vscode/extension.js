// archdsl for VS Code: highlighting (syntaxes/), comments and brackets (language-configuration.json),
// and the language server `archdsl lsp` (diagnostics, hover shapes, definitions, completion, formatting).
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("archdsl");
  const command = config.get("server.command", "archdsl");
  const serverOptions = { command, args: ["lsp"], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "archdsl" },
      { scheme: "file", language: "yaml", pattern: config.get("yamlSpecs", "**/specs/**/*.{yaml,yml}") },
    ],
  };
  client = new LanguageClient("archdsl", "archdsl language server", serverOptions, clientOptions);
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
