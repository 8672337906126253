#!/usr/bin/env bash
# Renders every kustomization under k8s/ (the base, each overlay, the trainer Job template) with
# `kubectl kustomize` (kustomize v5 built in) and fails on the first that does not build.
#   scripts/k8s-check.sh            # check only
#   scripts/k8s-check.sh OUT_DIR    # also write each rendering to OUT_DIR/<name>.yaml
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
out="${1:-}"

if ! command -v kubectl >/dev/null 2>&1; then
  echo "k8s-check: kubectl not found (it bundles kustomize v5)" >&2
  exit 1
fi
[ -z "$out" ] || mkdir -p "$out"

dirs=(k8s/base k8s/overlays/* k8s/jobs/*)
failed=0
for dir in "${dirs[@]}"; do
  [ -f "$dir/kustomization.yaml" ] || continue
  name="$(echo "${dir#k8s/}" | tr '/' '-')"
  if rendered="$(kubectl kustomize "$dir" 2>&1)"; then
    count="$(grep -c '^kind: ' <<<"$rendered" || true)"
    printf 'k8s-check: %-32s ok (%s objects)\n' "$dir" "$count"
    [ -z "$out" ] || printf '%s\n' "$rendered" >"$out/$name.yaml"
  else
    printf 'k8s-check: %-32s FAILED\n%s\n' "$dir" "$rendered" >&2
    failed=1
  fi
done
exit "$failed"
