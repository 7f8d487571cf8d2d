// Generates `src/schema.ts`, the TypeScript types of every path and schema, from the committed
// OpenAPI document. With `--check` it generates into a temporary file instead and fails when
// the committed file differs, so a document change cannot land without its client.
//
//   npm run generate      rewrite src/schema.ts
//   npm run check:fresh   fail if src/schema.ts is stale

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const document = join(root, "..", "..", "openapi", "openapi.json");
const committed = join(root, "src", "schema.ts");
const cli = join(root, "node_modules", "openapi-typescript", "bin", "cli.js");

function generate(output: string): void {
  // The generator's own options live here and nowhere else, so `generate` and the check agree.
  execFileSync(process.execPath, [cli, document, "--output", output], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

if (!process.argv.includes("--check")) {
  generate(committed);
  console.log(`generated ${committed}`);
  process.exit(0);
}

const scratch = mkdtempSync(join(tmpdir(), "stride-client-"));
try {
  const fresh = join(scratch, "schema.ts");
  generate(fresh);
  const want = readFileSync(fresh, "utf8").split("\n");
  const have = readFileSync(committed, "utf8").split("\n");
  const line = want.findIndex((text, i) => text !== have[i]);
  if (line === -1 && want.length === have.length) {
    console.log("src/schema.ts matches openapi/openapi.json");
  } else {
    const at = line === -1 ? Math.min(want.length, have.length) : line;
    console.error(`src/schema.ts is stale: it differs from openapi/openapi.json at line ${at + 1}`);
    console.error(`  committed: ${have[at] ?? "(end of file)"}`);
    console.error(`  generated: ${want[at] ?? "(end of file)"}`);
    console.error("Run `npm run generate` in clients/typescript and commit src/schema.ts.");
    process.exitCode = 1;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
