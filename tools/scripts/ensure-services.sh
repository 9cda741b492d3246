#!/usr/bin/env bash
# Makes sure the local PostgreSQL and RabbitMQ answer; starts them (as this machine kind's images do) if not.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
rmq_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! pg_up; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! rmq_up; then
  echo "RabbitMQ is not answering on 127.0.0.1:5672; starting it"
  rabbitmq-server -detached || true
fi
for _ in $(seq 1 60); do
  if pg_up && rmq_up; then exit 0; fi
  sleep 1
done
echo "PostgreSQL or RabbitMQ did not come up" >&2
exit 1
