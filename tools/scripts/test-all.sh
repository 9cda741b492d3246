#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this): install, lint, typecheck, unit,
# build, integration and end-to-end tests against the local PostgreSQL and RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/../.."

export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false NX_SKIP_NX_CACHE=true FORCE_COLOR=0
export JEST_SUMMARY_DIR
JEST_SUMMARY_DIR="$(mktemp -d)"
trap 'rm -rf "$JEST_SUMMARY_DIR"' EXIT

started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$1" "$(($(date +%s) - started))"; }

step "install"
npm ci --no-audit --no-fund
if ! command -v docker-compose >/dev/null; then
  step "install docker-compose (Debian) for the compose file check"
  (apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null)
fi
bash tools/scripts/ensure-services.sh

step "format, lint, typecheck, unit tests"
npx prettier --check . --log-level warn
npx nx run-many -t lint typecheck test --parallel=2 --outputStyle=static

step "build"
npx nx run-many -t build --parallel=2 --outputStyle=static

step "integration and end-to-end tests"
npx nx run-many -t integration e2e --parallel=1 --outputStyle=static

step "done"
node -e '
  const fs = require("node:fs"), path = require("node:path"), dir = process.env.JEST_SUMMARY_DIR;
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const f of fs.readdirSync(dir)) for (const l of fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    if (l) { const r = JSON.parse(l); t.passed += r.passed; t.failed += r.failed; t.skipped += r.skipped; }
  console.log(`tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  process.exit(t.failed > 0 || t.passed === 0 ? 1 : 0);
'
