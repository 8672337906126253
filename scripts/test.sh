#!/usr/bin/env bash
# `npm test`: unit, integration and end-to-end tests against a real Kafka broker and schema registry.
# Starts the local infrastructure when none answers, and stops what it started on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

started=0
cleanup() {
  if [ "$started" = 1 ]; then bash scripts/infra.sh down; fi
}
trap cleanup EXIT

if [ "${FRAUDSTREAM_TESTCONTAINERS:-false}" = "true" ]; then
  # Kafka and the registry start in containers (tests/support/global-setup.ts).
  docker info >/dev/null 2>&1 || { echo "[test] FRAUDSTREAM_TESTCONTAINERS=true needs a Docker engine" >&2; exit 1; }
  npm run -s build
  exec vitest run "$@"
fi

if ! bash scripts/infra.sh status >/dev/null 2>&1; then
  echo "[test] no Kafka/registry answering: starting the local infrastructure" >&2
  started=1
  bash scripts/infra.sh up >/dev/null
fi
# Export what the tests connect to (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL when Redis runs).
set -a
eval "$(bash scripts/infra.sh status 2>/dev/null)"
set +a

npm run -s build
vitest run "$@"
