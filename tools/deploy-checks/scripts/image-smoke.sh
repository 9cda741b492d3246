#!/usr/bin/env bash
# Builds one service's image from the root Dockerfile and proves it works the way Kubernetes will run it:
# read-only root filesystem, writable /tmp only, no capabilities, uid 10001. Needs a Docker engine and the
# PostgreSQL and RabbitMQ of api.md on localhost (CI's service containers); never runs on the dev machines,
# which have no engine.
#   tools/deploy-checks/scripts/image-smoke.sh <app>
set -euo pipefail
cd "$(dirname "$0")/../../.."

app="${1:?usage: image-smoke.sh <app>}"
port="$(sed -nE 's/.*defaultPort:[[:space:]]*([0-9]+).*/\1/p' "apps/$app/src/app/service.ts")"
[ -n "$port" ] || { echo "no defaultPort in apps/$app/src/app/service.ts" >&2; exit 1; }
image="emporium/$app:smoke"
name="emporium-smoke-$app"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/emporium}"
rmq_url="${RMQ_URL:-amqp://guest:guest@127.0.0.1:5672}"
hardened=(--network host --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges
  -e "PG_URL=$pg_url" -e "RMQ_URL=$rmq_url" -e LOG_LEVEL=warn)

echo "== $app: build (port $port)"
docker build --build-arg "APP=$app" --build-arg "PORT=$port" -t "$image" .

echo "== $app: runs as uid 10001 without npm"
[ "$(docker run --rm --entrypoint id "$image" -u)" = 10001 ]
if docker run --rm --entrypoint sh "$image" -c 'command -v npm' >/dev/null; then
  echo "npm is still in the runtime image" >&2; exit 1
fi

echo "== $app: node main.js migrate (twice: the second run has nothing to do)"
docker run --rm "${hardened[@]}" "$image" node main.js migrate
docker run --rm "${hardened[@]}" "$image" node main.js migrate

echo "== $app: serve, probe, stop"
docker rm -f "$name" >/dev/null 2>&1 || true
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$name" "${hardened[@]}" -e SHUTDOWN_DRAIN_MS=1000 "$image" >/dev/null
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null || { docker logs "$name"; exit 1; }
curl -fsS "http://127.0.0.1:$port/health/ready" || { docker logs "$name"; exit 1; }
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^# TYPE ' || { echo "no Prometheus metrics" >&2; exit 1; }
started="$(date +%s)"
docker stop -t 15 "$name" >/dev/null
took=$(($(date +%s) - started))
code="$(docker inspect -f '{{.State.ExitCode}}' "$name")"
if [ "$code" != 0 ] || [ "$took" -gt 10 ]; then
  docker logs "$name"
  echo "$app stopped with exit $code after ${took}s (want 0 within 10 s)" >&2
  exit 1
fi
echo "== $app: image OK"
