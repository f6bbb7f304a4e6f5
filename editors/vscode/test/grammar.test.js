// Tokenises .arch files with the extension's TextMate grammar, as VS Code does (vscode-textmate with the
// Oniguruma regex engine), and fails if any non-blank text gets no scope beyond the file's own.
// Usage: node test/grammar.test.js [FILE_OR_FOLDER...]   (default: the repository's specs/)
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const ROOT_SCOPE = "source.archdsl";
const here = __dirname;

function specFiles(targets) {
  const files = [];
  for (const target of targets) {
    if (fs.statSync(target).isDirectory()) {
      for (const entry of fs.readdirSync(target, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(target, entry.name);
        if (entry.isDirectory()) files.push(...specFiles([full]));
        else if (entry.name.endsWith(".arch")) files.push(full);
      }
    } else {
      files.push(target);
    }
  }
  return files;
}

async function main() {
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== ROOT_SCOPE) return null;
      const file = path.join(here, "..", "syntaxes", "archdsl.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  const grammar = await registry.loadGrammar(ROOT_SCOPE);
  const targets = process.argv.slice(2);
  const files = specFiles(targets.length ? targets : [path.join(here, "..", "..", "..", "specs")]);
  const unmatched = [];
  let tokens = 0;
  for (const file of files) {
    let state = vsctm.INITIAL;
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    lines.forEach((line, index) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        tokens += 1;
        const text = line.slice(token.startIndex, token.endIndex);
        if (token.scopes.length === 1 && text.trim() !== "") {
          unmatched.push(`${file}:${index + 1}:${token.startIndex + 1}: no scope for ${JSON.stringify(text)}`);
        }
      }
      state = result.ruleStack;
    });
  }
  console.log(JSON.stringify({ files: files.length, tokens, unmatched: unmatched.length }));
  if (unmatched.length) {
    console.error(unmatched.slice(0, 50).join("\n"));
    process.exit(1);
  }
  if (!files.length) {
    console.error("no .arch files found");
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
