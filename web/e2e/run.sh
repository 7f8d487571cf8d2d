#!/usr/bin/env bash
# The end-to-end tests against a server of their own (see .ci/on-fresh-server).
# Usage: bash e2e/run.sh [path/to/stride]   (default: the debug build)
set -euo pipefail
web="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$web/.." && pwd)"
stride="$(realpath "${1:-$repo/target/debug/stride}")"
cd "$web"
bash "$repo/.ci/on-fresh-server" "$stride" \
  node_modules/.bin/tsx --test --test-reporter=spec e2e/app.test.ts
