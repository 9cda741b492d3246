#!/usr/bin/env bash
# Runs the whole platform locally against this machine's PostgreSQL and RabbitMQ: installs, builds every
# service, applies each one's migrations, seeds demo data, starts them all and prints their URLs.
# Ctrl-C (or SIGTERM) stops every service gracefully.
set -euo pipefail
cd "$(dirname "$0")/../.."

export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false
export PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/emporium}"
export RMQ_URL="${RMQ_URL:-amqp://guest:guest@127.0.0.1:5672}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
# A demo admin account (auth creates it at start-up; its profile reaches the user service over the broker).
# Local runs only: set your own, or leave both empty for none.
export AUTH_ADMIN_EMAIL="${AUTH_ADMIN_EMAIL-admin@emporium.local}"
export AUTH_ADMIN_PASSWORD="${AUTH_ADMIN_PASSWORD-emporium-admin-demo}"
run_dir=".emporium"
mkdir -p "$run_dir/logs"

npm ci --no-audit --no-fund
bash tools/scripts/ensure-services.sh

db_name="$(node -e 'console.log(new URL(process.argv[1]).pathname.slice(1))' "$PG_URL")"
admin_url="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/postgres"; console.log(u.toString())' "$PG_URL")"
if [ "$(psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" != "1" ]; then
  psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
fi

mapfile -t apps < <(node -e '
  const fs = require("node:fs");
  for (const name of fs.readdirSync("apps").sort())
    if (fs.existsSync(`apps/${name}/project.json`)) console.log(name);
')
npx nx run-many -t build -p "${apps[@]}" --outputStyle=static

pids=()
stop_all() {
  trap - INT TERM
  echo; echo "stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop_all INT TERM

for app in "${apps[@]}"; do
  echo "== $app: migrate"
  node "dist/apps/$app/main.js" migrate
done
for app in "${apps[@]}"; do
  node "dist/apps/$app/main.js" >"$run_dir/logs/$app.log" 2>&1 &
  pids+=("$!")
done

ports=()
for app in "${apps[@]}"; do
  port="$(node -e 'const m = require("fs").readFileSync(`apps/${process.argv[1]}/src/app/service.ts`, "utf8").match(/defaultPort:\s*(\d+)/); console.log(m[1])' "$app")"
  ports+=("$port")
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "$app did not become ready; see $run_dir/logs/$app.log"; stop_all; exit 1; }
done

for app in "${apps[@]}"; do
  # Exit code 2 means the service has no `seed` command; anything else non-zero is a real failure.
  rc=0
  node "dist/apps/$app/main.js" seed >>"$run_dir/logs/$app-seed.log" 2>&1 </dev/null || rc=$?
  case "$rc" in
    0) echo "== $app: demo data seeded" ;;
    2) ;;
    *) echo "$app: seeding failed; see $run_dir/logs/$app-seed.log"; stop_all; exit 1 ;;
  esac
done

echo
echo "Emporium is running (logs in $run_dir/logs/):"
for i in "${!apps[@]}"; do
  printf '  %-13s http://127.0.0.1:%s/api/v1   docs http://127.0.0.1:%s/api/docs   metrics /metrics   health /health/ready\n' \
    "${apps[$i]}" "${ports[$i]}" "${ports[$i]}"
done
[ -d apps/user ] && echo "  user gRPC     127.0.0.1:${GRPC_PORT:-50052} (emporium.user.v1.UserService, health, reflection)"
[ -n "$AUTH_ADMIN_EMAIL" ] && echo "Admin: $AUTH_ADMIN_EMAIL / $AUTH_ADMIN_PASSWORD (POST /api/v1/auth/login on auth)"
echo "Press Ctrl-C to stop."
wait
