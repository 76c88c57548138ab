#!/usr/bin/env bash
# make bench: every benchmark script, one after the other; each measures its
# baseline in the same run and writes its section of docs/BENCHMARKS.md.
# BENCH_ONLY=rocks (a name or a list) runs only those.
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
for s in tools/bench-*.sh; do
	name=$(basename "$s" .sh)
	name=${name#bench-}
	[ "$name" = lib ] && continue
	if [ -n "${BENCH_ONLY:-}" ] && ! echo " $BENCH_ONLY " | grep -q " $name "; then
		continue
	fi
	echo "== bench: $name"
	bash "$s" || { echo "bench: $name failed" >&2; rc=1; }
done
exit $rc
