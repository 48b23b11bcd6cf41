#!/usr/bin/env bash
# The sync benchmarks (bench/sync.py): burst ingest vs mbsync, CalDAV first + incremental vs
# vdirsyncer, an idle pass over 100 links, IDLE freshness, peak RSS with 1,000 links, two daemons
# against one on 2,000 links (passes, split, SIGKILL takeover).
# Usage: bench/sync.sh [burst|calendar|idle|fresh|rss|daemons ...]   (binaries from $CRM_BIN)
# The daemons one runs again on PostgreSQL (a private durable server) after SQLite's, unless
# BENCH_PG=0.
set -uo pipefail
cd "$(dirname "$0")/.."
export CRM_ROOT=$PWD
export CRM_BIN=${CRM_BIN:-$PWD/build/bin}
for b in crm-sync crmctl; do
	[ -x "$CRM_BIN/$b" ] || { echo "bench/sync.sh: $CRM_BIN/$b is missing (make bins)" >&2; exit 1; }
done
for t in dovecot radicale mbsync vdirsyncer; do
	command -v "$t" >/dev/null || { echo "bench/sync.sh: $t is not installed (scripts/install-deps)" >&2; exit 1; }
done
python3 bench/sync.py "$@"
rc=$?
if [ "${BENCH_PG:-1}" = 1 ] && { [ $# -eq 0 ] || [[ " $* " == *" daemons "* ]]; }; then
	pgdir=$(mktemp -d)
	trap 'scripts/pg-server remove "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
	if url=$(scripts/pg-server start --durable "$pgdir"); then
		echo
		echo "The same on PostgreSQL:"
		CRM_TEST_DB=postgres CRM_TEST_PG_URL=$url python3 bench/sync.py daemons || rc=1
	else
		echo "bench/sync.sh: cannot start PostgreSQL (scripts/pg-server)" >&2
		rc=1
	fi
fi
exit $rc
