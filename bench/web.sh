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
python3 bench/web.py
# The same on PostgreSQL (a private server, durable, on loopback), printed after SQLite's.
[ "${BENCH_PG:-1}" = 1 ] || exit 0
pgdir=$(mktemp -d)
trap 'scripts/pg-server remove "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
if ! url=$(scripts/pg-server start --durable "$pgdir"); then
	echo "bench/web: cannot start PostgreSQL (scripts/pg-server); its figures are left out" >&2
	exit 1
fi
echo
CRM_TEST_DB=postgres CRM_TEST_PG_URL=$url python3 bench/web.py
