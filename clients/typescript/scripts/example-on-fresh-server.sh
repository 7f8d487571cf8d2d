#!/usr/bin/env bash
# Runs an example (examples/flow.ts unless named) against a server of its own (see
# .ci/on-fresh-server): `stride serve` on a private PostgreSQL in a fresh directory.
# Usage: bash scripts/example-on-fresh-server.sh [path/to/stride] [examples/<name>.ts]
#   (default: the debug build and examples/flow.ts)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
stride="$(realpath "${1:-$repo/target/debug/stride}")"
example="${2:-examples/flow.ts}"
cd "$here"
bash "$repo/.ci/on-fresh-server" "$stride" node_modules/.bin/tsx "$example"
