#!/usr/bin/env bash
# `npm run bench -- [options]`: builds the product service, then runs the side-by-side benchmark
# (bench/product-get.mjs; `npm run bench -- --help` lists the options). Set BENCH_SKIP_BUILD=1 to reuse
# an existing dist/apps/product/main.js.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${BENCH_SKIP_BUILD:-}" != "1" ]]; then
  NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false npx nx build product --skip-nx-cache >&2
fi
exec node bench/product-get.mjs "$@"
