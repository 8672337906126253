#!/usr/bin/env bash
# `npm test`: unit, integration and end-to-end tests against a real Kafka broker, schema registry and
# Redis. Brings the tools the tests use (scripts/tools.sh), starts the local infrastructure where
# none answers, and stops what it started on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A tool that could not be had fails the tests that need it, each with the reason; the others run.
bash scripts/tools.sh || echo "[test] some tools could not be brought (see above): the tests that need them will fail" >&2

if [ "${FRAUDSTREAM_TESTCONTAINERS:-false}" = "true" ]; then
  # Kafka and the registry start in containers (tests/support/global-setup.ts).
  docker info >/dev/null 2>&1 || { echo "[test] FRAUDSTREAM_TESTCONTAINERS=true needs a Docker engine" >&2; exit 1; }
  npm run -s build
  exec vitest run "$@"
fi

INFRA_STARTED=""
cleanup() {
  # shellcheck disable=SC2086 # one word per service
  if [ -n "$INFRA_STARTED" ]; then bash scripts/infra.sh down $INFRA_STARTED; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! bash scripts/infra.sh status 2>/dev/null | grep -q '^REDIS_URL='; then
  # Whatever already answers is reused; only the rest is started, and stopped again on exit.
  echo "[test] starting the local infrastructure that does not answer yet" >&2
  up_status=0
  up="$(bash scripts/infra.sh up)" || up_status=$?
  eval "$(grep '^INFRA_STARTED=' <<<"$up")"
  [ "$up_status" = 0 ] || exit "$up_status"
fi
# Export what the tests connect to (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL when Redis runs).
set -a
eval "$(bash scripts/infra.sh status 2>/dev/null)"
set +a

npm run -s build
vitest run "$@"
