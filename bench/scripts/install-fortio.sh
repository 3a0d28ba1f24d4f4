#!/usr/bin/env bash
# Installs the pinned fortio (Istio's load generator, used for the fixed-rate runs of `npm run bench`) into the
# project-local, git-ignored .cache/bin with `go install` through the Go module proxy. Prints the binary's path.
#
# Why 1.68.2: it is the newest fortio whose whole dependency graph the Go module proxy serves to the project's
# machines. From 1.69.0 on fortio depends on grol.io/grol, whose module zip proxy.golang.org answers with
# "403 Forbidden" there, so `go install fortio.org/fortio@latest` fails.
#
# Idempotent and safe to run concurrently (flock). Exit codes: 0 installed; 2 Go is not installed; 1 otherwise.
set -euo pipefail

readonly FORTIO_VERSION="1.68.2"

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${FORTIO_BIN_DIR:-$project_root/.cache/bin}"
fortio="$bin_dir/fortio"

fail() { printf 'install-fortio: error: %s\n' "$1" >&2; exit "${2:-1}"; }

installed_version() { [[ -x "$fortio" ]] && "$fortio" version 2>/dev/null | head -n1 || true; }

mkdir -p "$bin_dir"
exec 9>"$bin_dir/.fortio.lock"
flock 9

if [[ "$(installed_version)" != "$FORTIO_VERSION" ]]; then
  command -v go >/dev/null 2>&1 || fail "go is not installed (needed to build fortio $FORTIO_VERSION; https://go.dev/dl/)" 2
  printf 'install-fortio: go install fortio.org/fortio@v%s (about a minute)\n' "$FORTIO_VERSION" >&2
  GOBIN="$bin_dir" GOFLAGS="-buildvcs=false" go install "fortio.org/fortio@v$FORTIO_VERSION" >&2 \
    || fail "go install fortio.org/fortio@v$FORTIO_VERSION failed (is the Go module proxy reachable?)"
  [[ "$(installed_version)" == "$FORTIO_VERSION" ]] || fail "$fortio does not report version $FORTIO_VERSION"
fi
printf '%s\n' "$fortio"
