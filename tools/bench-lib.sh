# shellcheck shell=bash
# tools/bench-lib.sh: what the benchmark scripts share (source it).

# median: reads numbers, one per line, prints the median
bench_median() { sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }

# bench_section NAME FILE: puts FILE's text into docs/BENCHMARKS.md between
# <!-- NAME:start --> and <!-- NAME:end -->, replacing an earlier run's
bench_section() {
	local name=$1 file=$2 out=docs/BENCHMARKS.md tmp
	tmp=$(mktemp)
	{ echo "<!-- $name:start -->"; cat "$file"; echo "<!-- $name:end -->"; } >"$tmp.sec"
	if [ -f "$out" ] && grep -q "<!-- $name:start -->" "$out"; then
		awk -v f="$tmp.sec" -v s="<!-- $name:start -->" -v e="<!-- $name:end -->" '
		    $0 == s { while ((getline l < f) > 0) print l; skip = 1; next }
		    $0 == e { skip = 0; next }
		    !skip { print }' "$out" >"$tmp"
	else
		{
			if [ -f "$out" ]; then cat "$out"; else
				printf '# Benchmarks\n\nEvery figure here is measured against a baseline taken in the same run on\nthe same machine; the command that produced each table is named with it.\n'
			fi
			echo
			cat "$tmp.sec"
		} >"$tmp"
	fi
	cp "$tmp" "$out"
	rm -f "$tmp" "$tmp.sec"
}
