#!/usr/bin/env bash
# Renders every kustomization under k8s/ (the base, each overlay, the Job templates) with
# `kubectl kustomize` (kustomize v5 built in) and fails if one does not build. Where
# `kubernetes-validate` (PyPI) is on the PATH, each rendering is also validated strictly against the
# Kubernetes API schemas (K8S_VERSION, default 1.32.0; CRDs such as KEDA's are skipped with a warning).
#   scripts/k8s-check.sh            # check only
#   scripts/k8s-check.sh OUT_DIR    # also write each rendering to OUT_DIR/<name>.yaml
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
out="${1:-}"

# kubectl bundles kustomize v5; scripts/tools.sh links the machine's or brings one.
bash scripts/tools.sh kubectl || { echo "k8s-check: no kubectl (see above)" >&2; exit 1; }
kubectl="$ROOT/.cache/bin/kubectl"
[ -z "$out" ] || mkdir -p "$out"
validate=""
if command -v kubernetes-validate >/dev/null 2>&1; then validate=kubernetes-validate; fi

dirs=(k8s/base k8s/overlays/* k8s/jobs/*)
failed=0
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
for dir in "${dirs[@]}"; do
  [ -f "$dir/kustomization.yaml" ] || continue
  name="$(echo "${dir#k8s/}" | tr '/' '-')"
  if rendered="$("$kubectl" kustomize "$dir" 2>"$errors")"; then
    count="$(grep -c '^kind: ' <<<"$rendered" || true) objects"
    if [ -n "$validate" ]; then
      if ! report="$($validate --strict --quiet --no-warn -k "${K8S_VERSION:-1.32.0}" - <<<"$rendered" 2>&1)"; then
        printf 'k8s-check: %-32s INVALID\n%s\n' "$dir" "$report" >&2
        failed=1
        continue
      fi
      count="$count, schema-valid"
    fi
    printf 'k8s-check: %-32s ok (%s)\n' "$dir" "$count"
    [ -z "$out" ] || printf '%s\n' "$rendered" >"$out/$name.yaml"
  else
    printf 'k8s-check: %-32s FAILED\n%s\n' "$dir" "$(cat "$errors")" >&2
    failed=1
  fi
done
exit "$failed"
