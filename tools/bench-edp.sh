#!/usr/bin/env bash
# The EDP's benchmarks (make bench runs every tools/bench-*.sh): figures
# measured in one run, as ratios or differences against
# a baseline measured in the same run, written to docs/BENCHMARKS.md.
#
# EDP connection set-up: between two test hosts, a plain TCP connect (the
# baseline) and an EDP connect, alternating in rounds, to real ordinary
# servers that close (redis-server, nginx), reset (edp-peer), or speak first
# (OpenSSH sshd), and to an enhanced server.  The goal (issue 2): against a
# server that speaks first, closes or resets, the EDP adds at most one round
# trip plus 1 ms; the round trip is the plain connect time.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
N=${BENCH_N:-300}
ROUNDS=5
. tests/lib.sh
. tests/lib-peers.sh
lib_init bench
need_root
EDP=$PWD/$O/bin/edp
PEER=$PWD/$O/tests/helpers/edp-peer

host_add client
host_add server
S=$(host_ip server)
host_bg server "$T/enh.log" "$EDP" serve 7000 >/dev/null
host_bg server "$T/reset.log" "$PEER" server reset 7102 >/dev/null
host_bg server "$T/banner.log" "$PEER" server banner 7103 >/dev/null
peer_sshd server 22 >/dev/null || fail "sshd"
peer_redis server 6379 >/dev/null || fail "redis-server"
peer_nginx server 80 >/dev/null || fail "nginx"
wait_listen server 7000 5 && wait_listen server 7102 5 &&
	wait_listen server 7103 5 || fail "peers"

. tools/bench-lib.sh
median() { bench_median; }

# run PORT MODE(plain|edp) FIELD FIRST(0|1): median over rounds of medians
run() {
	local port=$1 mode=$2 field=$3 first=$4 r args=()
	[ "$mode" = plain ] && args+=(--plain)
	[ "$first" = 1 ] && args+=(--first-byte)
	for r in $(seq "$ROUNDS"); do
		hexec client "$EDP" probe -c $((N / ROUNDS)) "${args[@]}" "$S" "$port" |
		    sed -n "s/^median of .* $field=\([0-9.]*\).*/\1/p"
	done | median
}

rows=()
bench_one() {
	local label=$1 port=$2 behaviour=$3 first=$4 pc et pf ef added goal ok note=
	pc=$(run "$port" plain connect_us 0)
	et=$(run "$port" edp total_us 0)
	added=$(awk -v a="$et" -v b="$pc" 'BEGIN { printf "%.1f", a - b }')
	if [ "$first" = 1 ]; then
		# A server that speaks first is set up when its first byte is in:
		# no program can go on before it.  Compare that.
		pf=$(run "$port" plain first_us 1)
		ef=$(run "$port" edp first_us 1)
		added=$(awk -v a="$ef" -v b="$pf" 'BEGIN { printf "%.1f", a - b }')
		note="first byte: plain $pf us, EDP $ef us (x$(awk -v a="$ef" -v b="$pf" 'BEGIN { printf "%.2f", a / b }')); connect() returns at $et us"
	fi
	goal=$(awk -v r="$pc" 'BEGIN { printf "%.1f", r + 1000 }')
	ok=$(awk -v a="$added" -v g="$goal" 'BEGIN { print (a <= g ? "met" : "MISSED") }')
	[ "$behaviour" = enhanced ] && ok="(none)"
	line="| $label | $behaviour | $pc | $et | $added | $(awk -v a="$added" -v r="$pc" 'BEGIN { printf "%.2f", a / r }') | $goal | $ok | $note |"
	rows+=("$line")
	echo "$line" >&2
}

bench_one "redis-server 7.0" 6379 closes 0
bench_one "nginx 1.22" 80 closes 0
bench_one "edp-peer reset" 7102 resets 0
bench_one "OpenSSH sshd 9.2" 22 "speaks first" 1
bench_one "edp-peer banner" 7103 "speaks first" 1
bench_one "edp serve (enhanced, kx)" 7000 enhanced 0

tmp=$T/bench.md
{
	echo "### EDP connection set-up"
	echo
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, kernel $(uname -r), by"
	echo "\`make bench\` (tools/bench.sh; BENCH_N=$N connects per cell, in $ROUNDS"
	echo "rounds; each figure is the median of the rounds' medians, in microseconds)."
	echo "Client and server are two test hosts (network namespaces) through a"
	echo "router namespace.  The baseline is a plain TCP connect to the same port"
	echo "in the same run (\`edp probe --plain\`); its time is one round trip."
	echo "\"ready\" is an EDP connect until the program may use the connection;"
	echo "\"added\" is ready minus plain; the goal is one round trip plus 1 ms."
	echo "For a server that speaks first, \"added\" compares the time to the"
	echo "server's first byte (the banner) instead, plain and through the EDP:"
	echo "a program can do nothing with such a connection before that byte, and"
	echo "the EDP must wait for the probe's end to know the server (an enhanced"
	echo "server that speaks first sends its announcement after its banner)."
	echo
	echo "| server | behaviour | plain connect (us) | EDP ready (us) | added (us) | added / RTT | goal (us) | goal | notes |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "The enhanced row also includes negotiation and the kx enhancement"
	echo "(X25519 agreement and key confirmation: two more round trips and the"
	echo "key arithmetic); it has no goal here."
} >"$tmp"
bench_section edp-bench "$tmp"
cat "$tmp"
pass "EDP benchmarks written to docs/BENCHMARKS.md"
