#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS, one after the other, keeping its
# corpus under build-fuzz/corpus-<target>; prints one line per target.
# usage: tools/fuzz.sh SECONDS TARGET...
set -u
secs=$1
shift
fail=0
for t in "$@"; do
	name=$(basename "$t")
	corpus=build-fuzz/corpus-$name
	seeds=tests/fuzz/seeds/$name
	mkdir -p "$corpus"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null
	log=build-fuzz/$name.log
	start=$(date +%s)
	if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=build-fuzz/"$name"- "$corpus" >"$log" 2>&1; then
		end=$(date +%s)
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
		    grep -o '[0-9]*$')
		[ -n "$execs" ] || execs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
		echo "fuzz: $name ran $((end - start)) s, ${execs:-?} inputs, no finding"
	else
		echo "fuzz: $name FOUND A PROBLEM; see $log and build-fuzz/$name-*"
		fail=1
	fi
done
exit $fail
