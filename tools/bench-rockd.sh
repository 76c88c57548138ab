#!/usr/bin/env bash
# rockd's benchmarks, against a plain TCP relay (socat) measured in the
# same run on the same three test hosts: client -> proxy -> server.  The
# same rocks-bench runs plain through socat and under `rock` through rockd
# (static forwarding), and plain straight to the server for reference.
#   throughput (64 KiB writes; median of 3), 64-byte round trip (the
#   latency each relay adds), connections per second through each relay
#   (sequential connect and close), rockd's resident memory after the run.
# BENCH_MB (default 512) and BENCH_RTT (20000) shorten a trial run.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
. tools/bench-lib.sh
lib_init bench-rockd
need_root
need_cmd socat
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
RB=$PWD/$O/tests/helpers/rocks-bench
MB=${BENCH_MB:-512}
NRTT=${BENCH_RTT:-20000}
NCON=${BENCH_CONNECTS:-500}
for f in "$ROCK" "$ROCKD" "$RB"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
host_bg server "$T/sink.log" "$RB" sink 7001 >/dev/null
host_bg server "$T/echo.log" "$RB" echo 7002 >/dev/null
for p in 7001 7002; do
	host_bg proxy "$T/socat$p.log" socat "TCP-LISTEN:$((p + 1000)),fork,reuseaddr,nodelay" \
	    "TCP:$S:$p,nodelay" >/dev/null
done
host_bg proxy "$T/rockd.log" env EVICT_LOG_LEVEL=warn "$ROCKD" \
    --listen 9001 --to "$S:7001" --listen 9002 --to "$S:7002" >/dev/null
rockd=$LIB_BG_PID
wait_listen server 7001 5 && wait_listen server 7002 5 || fail "servers"
for p in 8001 8002 9001 9002; do wait_listen proxy "$p" 5 || fail "port $p"; done

plain() { hexec client "$RB" "$@"; }
rock() { hexec client env EVICT_LOG_LEVEL=error "$ROCK" "$RB" "$@"; }
size=$((MB << 20))

# throughput: "direct socat rockd" seconds, medians of 3
declare -a td ts tr
for i in 1 2 3; do
	td+=("$(plain source "$S" 7001 "$size" 65536 | cut -d' ' -f1)")
	ts+=("$(plain source "$P" 8001 "$size" 65536 | cut -d' ' -f1)")
	tr+=("$(rock source "$P" 9001 "$size" 65536 | cut -d' ' -f1)")
done
td_m=$(printf '%s\n' "${td[@]}" | bench_median)
ts_m=$(printf '%s\n' "${ts[@]}" | bench_median)
tr_m=$(printf '%s\n' "${tr[@]}" | bench_median)

read -r rd rd99 < <(plain rtt "$S" 7002 "$NRTT")
read -r rs rs99 < <(plain rtt "$P" 8002 "$NRTT")
read -r rr rr99 < <(rock rtt "$P" 9002 "$NRTT")
read -r cs _ < <(plain connect "$P" 8002 "$NCON")
read -r cr _ < <(rock connect "$P" 9002 "$NCON")
rss=$(ps -o rss= -p "$rockd" | tr -d ' ')
kill -0 "$rockd" 2>/dev/null || fail "rockd died during the benchmark"

out=$T/rockd.md
{
	echo "### rockd against a plain TCP relay (socat)"
	echo
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores by \`make bench\`"
	echo "(tools/bench-rockd.sh): rocks-bench from a client host through a"
	echo "proxy host to a plain server, through socat (plain client) and through"
	echo "rockd (the client under \`rock\`), in the same run; \"direct\" skips the"
	echo "proxy.  Unshaped links (CPU-bound between namespaces)."
	echo
	echo "| measure | direct | socat | rockd | rockd / socat |"
	echo "|---|---|---|---|---|"
	awk -v mb="$MB" -v d="$td_m" -v s="$ts_m" -v r="$tr_m" 'BEGIN {
	    printf "| throughput, %d MiB in 64 KiB writes (MiB/s, median of 3) | %.0f | %.0f | %.0f | %.2f |\n",
	        mb, mb / d, mb / s, mb / r, s / r }'
	awk -v d="$rd" -v s="$rs" -v r="$rr" -v d9="$rd99" -v s9="$rs99" -v r9="$rr99" -v n="$NRTT" 'BEGIN {
	    printf "| 64 B round trip, us (median, p99; %d) | %.1f, %.1f | %.1f, %.1f | %.1f, %.1f | %.2f |\n",
	        n, d, d9, s, s9, r, r9, r / s
	    printf "| latency added by the relay, us | | %.1f | %.1f | |\n", s - d, r - d }'
	awk -v s="$cs" -v r="$cr" -v n="$NCON" 'BEGIN {
	    printf "| connections per second, one client (%d connects) | | %.0f | %.0f | %.2f |\n",
	        n, 1e6 / s, 1e6 / r, s / r }'
	echo
	echo "A connection through rockd costs the rock client its EDP probe and"
	echo "the rocks initialization (keys, buffers) besides the relay's own"
	echo "connection to the server.  rockd's resident memory after the run:"
	echo "${rss:-?} KiB."
} >"$out"
bench_section rockd-bench "$out"
cat "$out"
pass "rockd benchmarks written to docs/BENCHMARKS.md"
