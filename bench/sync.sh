#!/usr/bin/env bash
# The sync benchmarks (bench/sync.py): burst ingest vs mbsync, CalDAV first + incremental vs
# vdirsyncer, an idle pass over 100 links, IDLE freshness, peak RSS with 1,000 links, two daemons
# against one on 2,000 links (passes, split, SIGKILL takeover).
# Usage: bench/sync.sh [burst|calendar|idle|fresh|rss|daemons ...]   (binaries from $CRM_BIN)
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
exec python3 bench/sync.py "$@"
