#!/usr/bin/env bash
# Runs an example (examples/flow.ts unless named) against a server of its own: `stride serve`
# on a private PostgreSQL in a fresh directory (never DATABASE_URL), stopped and removed
# afterwards; it may send webhooks to receivers on this machine.
# Usage: bash scripts/example-on-fresh-server.sh [path/to/stride] [examples/<name>.ts]
#   (default: the debug build and examples/flow.ts)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
stride="$(realpath "${1:-$repo/target/debug/stride}")"
example="${2:-examples/flow.ts}"
if [ ! -x "$stride" ]; then
  echo "no stride binary at $stride: run \`cargo build -p stride\` first" >&2
  exit 1
fi

# Under /tmp, so that PostgreSQL's own user can reach it when this runs as root.
data="$(mktemp -d /tmp/stride-example.XXXXXX)"
chmod 755 "$data"
port="$(node -e '
  const server = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(server.address().port);
    server.close();
  });')"
env -u DATABASE_URL STRIDE_DATA_DIR="$data" STRIDE_ADDR="127.0.0.1:$port" STRIDE_LOG=warn \
  STRIDE_WEBHOOK_ALLOW_PRIVATE=true \
  "$stride" serve >"$data.log" 2>&1 &
server=$!
cleanup() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data" "$data.log"
}
trap cleanup EXIT

ready=""
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then ready=yes; break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "the server did not get ready; its log:" >&2
  cat "$data.log" >&2
  exit 1
fi

cd "$here"
STRIDE_URL="http://127.0.0.1:$port" node_modules/.bin/tsx "$example"
