#!/usr/bin/env bash
# Web benchmark (see bench/README.md): the optimized build behind nginx, measured with wrk.
# Binaries from $CRM_BIN (default build/bin); BENCH_DURATION / BENCH_CONNECTIONS override 10s / 64.
set -euo pipefail
cd "$(dirname "$0")/.."
export CRM_ROOT=$PWD
export CRM_BIN=${CRM_BIN:-$PWD/build/bin}
for b in crm.fcgi crmctl; do
	[ -x "$CRM_BIN/$b" ] || { echo "bench/web: $CRM_BIN/$b is missing: make bins" >&2; exit 1; }
done
exec python3 bench/web.py
