// Builds the web app into dist/: one script per page (the dashboard, the public board), one
// stylesheet and the two HTML shells, minified and byte-for-byte reproducible. The server
// embeds dist/ as committed, so running Stride needs no Node.js; `--check` rebuilds into a
// scratch directory and fails when dist/ differs from what the sources make.
//
// Usage: node build.mjs [--check]

import { build } from "esbuild";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes("--check");
const out = check ? await mkdtemp(join(tmpdir(), "stride-web-")) : join(here, "dist");

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  absWorkingDir: here,
  entryPoints: { dashboard: "src/dashboard.tsx", board: "src/board.tsx", app: "src/app.css" },
  outdir: out,
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022", "chrome110", "firefox110", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  // The typed client is compiled from its sources; its one dependency comes from here.
  nodePaths: [join(here, "node_modules")],
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
});
for (const page of ["dashboard.html", "board.html"]) {
  await cp(join(here, "src", page), join(out, page));
}

if (check) {
  const committed = join(here, "dist");
  const made = (await readdir(out)).sort();
  const kept = (await readdir(committed).catch(() => [])).sort();
  const stale = [];
  for (const name of new Set([...made, ...kept])) {
    const [a, b] = await Promise.all([
      readFile(join(out, name)).catch(() => null),
      readFile(join(committed, name)).catch(() => null),
    ]);
    if (a === null || b === null || !a.equals(b)) stale.push(name);
  }
  await rm(out, { recursive: true, force: true });
  if (stale.length > 0) {
    console.error(`web/dist is stale (${stale.join(", ")}): run \`npm run build\` in web/ and commit dist/`);
    process.exit(1);
  }
  console.log(`web/dist is fresh (${made.length} files)`);
} else {
  for (const name of (await readdir(out)).sort()) {
    const size = (await readFile(join(out, name))).length;
    console.log(`dist/${name}  ${(size / 1024).toFixed(1)} KiB`);
  }
}
