#!/usr/bin/env bash
# Runs the integration tests (tests/integ/t-*.sh, or those named), each with
# a time limit, and prints a line per test and a closing summary.  A test
# exits 0 (pass), 77 (skip, with its reason) or anything else (fail); the
# output of a failing test is kept in $O/integ-logs/.
set -u
O=${O:-build}
export O
limit=${INTEG_TIMEOUT:-1200}
logs=$O/integ-logs
mkdir -p "$logs"
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/integ/t-*.sh)
pass=0 fail=0 skip=0 failed=()
for t in "${tests[@]}"; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	start=$(date +%s)
	timeout --kill-after=10 "$limit" bash "$t" >"$logs/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS $name (${secs} s)"; rm -f "$logs/$name.log" ;;
	77) skip=$((skip + 1))
	    echo "SKIP $name: $(grep -m1 '^SKIP' "$logs/$name.log" | cut -c7-)" ;;
	*)  fail=$((fail + 1)); failed+=("$name")
	    [ $rc -eq 124 ] && echo "FAIL $name: timed out after $limit s" ||
		echo "FAIL $name (exit $rc, ${secs} s); log: $logs/$name.log"
	    tail -n 25 "$logs/$name.log" | sed 's/^/    | /' ;;
	esac
done
echo "integ: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
