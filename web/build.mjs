// Builds the web app into dist/: one script per page (the dashboard, the public board), one
// stylesheet and the two pages' HTML, minified and byte-for-byte reproducible. The server
// embeds dist/ as committed, so running Stride needs no Node.js; `--check` rebuilds into a
// scratch directory and fails when dist/ differs from what the sources make.
//
// Usage: node build.mjs [--check]

import { build } from "esbuild";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
// The two pages are one shell: a title, the stylesheet and the page's script.
const pages = { dashboard: "Stride: team dashboard", board: "Stride: community board" };
for (const [page, title] of Object.entries(pages)) {
  await writeFile(join(out, `${page}.html`), shell(page, title));
}

function shell(page, title) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light">
    <title>${title}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/assets/app.css">
    <script type="module" src="/assets/${page}.js"></script>
  </head>
  <body>
    <div id="root"><p class="loading">Loading…</p></div>
    <noscript><p class="notice">This page needs JavaScript. The API it uses is documented at <a href="/docs/">/docs/</a>.</p></noscript>
  </body>
</html>
`;
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
