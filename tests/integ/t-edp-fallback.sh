#!/usr/bin/env bash
# Bad input in the EDP, on both sides, across two test hosts.
#  - Servers that announce themselves and then send a truncated or garbled
#    announcement, or an oversized, garbled, truncated, lying or missing
#    negotiation reply: the client falls back to an ordinary connection that
#    works (the peer echoes), logs why, and never hangs past its budget.
#  - Clients that announce themselves and then send truncated, oversized or
#    garbled negotiation, or nothing: the enhanced server closes them, logs
#    why, and goes on serving probes, enhanced and ordinary clients.
. "$(dirname "$0")/../lib.sh"
lib_init edp-fallback
need_root
O=${O:-build}
EDP=$PWD/$O/bin/edp
PEER=$PWD/$O/tests/helpers/edp-peer
[ -x "$EDP" ] && [ -x "$PEER" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)

# mode port expected-verdict words-in-the-log
cases=(
	"trunc-ann 7201 fallback-garbled truncated"
	"garble-ann 7202 ordinary-sends-data -"
	"accept-huge 7203 fallback-garbled oversized"
	"accept-garbage 7204 fallback-garbled malformed"
	"accept-trunc 7205 fallback-garbled closed"
	"accept-silent 7206 fallback-garbled no.answer"
	"accept-magic 7207 fallback-garbled magic"
	"accept-lie 7208 fallback-garbled disagrees"
)
for c in "${cases[@]}"; do
	set -- $c
	host_bg server "$T/peer-$1.log" "$PEER" server "$1" "$2" >/dev/null
done
for c in "${cases[@]}"; do
	set -- $c
	wait_listen server "$2" 5 || fail "peer $1 did not start"
done

for c in "${cases[@]}"; do
	set -- $c
	start=$(lib_now_ms)
	out=$(EVICT_LOG_LEVEL=warn hexec client "$EDP" probe -p -s 'ping\n' -r 1000 "$S" "$2" 2>&1)
	took=$(( $(lib_now_ms) - start ))
	echo "$out" >>"$T/probes.log"
	echo "$out" | grep -q "verdict=$3 " || fail "$1: expected $3: $out"
	echo "$out" | grep -q '^reply: ping\\n$' ||
		fail "$1: the fallen-back connection does not work: $out"
	if [ "$4" != - ]; then
		echo "$out" | grep -i 'warn' | grep -qi -- "$4" ||
			fail "$1: no warning saying '$4': $out"
	fi
	# negotiation budget 3 s, reply wait 1 s: anything near 10 s is a hang
	[ "$took" -lt 8000 ] || fail "$1: took $took ms"
	lib_note "$1: $3 in $took ms"
done

# The enhanced server against bad clients.
host_bg server "$T/serve.log" env EVICT_LOG_LEVEL=info "$EDP" serve 7000 >/dev/null
srv=$LIB_BG_PID
wait_listen server 7000 5 || fail "edp serve did not start"
for m in trunc huge garbage magic silent; do
	out=$(hexec client "$PEER" client "$m" "$S" 7000) ||
		fail "client $m: server kept the connection: $out"
done
grep -q 'malformed NEGOTIATE' "$T/serve.log" || fail "no log line for the garbage client"
grep -q 'bad magic' "$T/serve.log" || fail "no log line for the bad-magic client"
# still serving, both kinds of client, and still the same process
out=$(hexec client "$EDP" probe -p -s 'after\n' -r 1000 "$S" 7000)
echo "$out" | grep -q 'verdict=enhanced' || fail "server after abuse: $out"
echo "$out" | grep -q '^reply: after\\n$' || fail "server after abuse: $out"
kill -0 "$srv" 2>/dev/null || fail "edp serve died"

pass "8 bad servers fell back to working ordinary connections; 5 bad clients closed; server unharmed"
