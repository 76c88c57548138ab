#!/usr/bin/env bash
# Runs each Check suite given on the command line; prints one summary line.
set -u
pass=0 fail=0 failed=()
for t in "$@"; do
	if "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$(basename "$t")")
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed suites: ${failed[*]}" >&2; exit 1; }
