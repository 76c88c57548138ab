#!/usr/bin/env bash
# t-lib-hosts: self-test of tests/lib.sh.  Each fault is shown to do what it
# says with tcpio and ping: reachability, link down/up, renumbering, black
# hole, TCP reset, random loss, shaping, NAT and a NAT rebinding, a SHA-256
# checked 5 MiB transfer each way; then cleanup after a set -e failure and
# after SIGTERM leaves no namespace and no process behind.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$HERE/../lib.sh"

lib_init lib-hosts
need_root
need_cmd ping awk

O=${O:-build}
case $O in /*) ;; *) O=$ROOT/$O ;; esac
TCPIO=$O/tests/helpers/tcpio
[ -x "$TCPIO" ] || fail "lib-hosts: $TCPIO is missing: build it first (make O=${O#"$ROOT"/} all)"

# ---- helpers --------------------------------------------------------------

# ping_ok FROM ADDR: one ping, 1 s wait.
ping_ok() {
	hexec "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1
}

# ping_eventually FROM ADDR: up to 5 pings, 1 s each.
ping_eventually() {
	local i
	for ((i = 0; i < 5; i++)); do
		ping_ok "$1" "$2" && return 0
	done
	return 1
}

# serve HOST PORT LOG ARGS...: a tcpio listener in the background, its pid
# in LIB_BG_PID; waits until it listens (no connection made).  Called
# directly, never in $(...), so that the listener stays our child.
serve() {
	local h=$1 port=$2 log=$3
	shift 3
	host_bg "$h" "$T/$log" "$TCPIO" listen -4 0.0.0.0 "$port" \
	    --timeout 30 "$@" >/dev/null
	wait_listen "$h" "$port" 5 || fail "lib-hosts: tcpio did not listen on $h:$port"
	SRV=$LIB_BG_PID
}

# served: waits for the last --once listener to finish its session.
served() {
	local rc=0
	wait_pid "$SRV" 10 || rc=$?
	[ "$rc" -eq 0 ] || fail "lib-hosts: listener $SRV ended with status $rc"
}

# peer_of LOG: the "ADDR PORT" of the last connection a listener accepted.
peer_of() {
	awk '/accepted from/ { a = $4; p = $6 } END { print a, p }' "$T/$1"
}

# ---- topology ---------------------------------------------------------------

host_add a
host_add b
host_add c
A=$(host_ip a)
B=$(host_ip b)
lib_note "a=$A (router $(router_ip a)) b=$B (router $(router_ip b)) c=$(host_ip c)"

for h in a b c; do
	case $(host_ip $h) in
	192.0.2.*|198.51.100.*|203.0.113.*) ;;
	*) fail "lib-hosts: $h got $(host_ip $h), outside the documentation ranges" ;;
	esac
done
router_exec ip route get 100.64.0.1 >/dev/null 2>&1 &&
	fail "lib-hosts: the router has a route off the machine"
route=$(hexec a ip route get 100.64.0.1 2>/dev/null || true)
[[ $route == *"via $(router_ip a) "* ]] ||
	fail "lib-hosts: a's default route does not go via the router: $route"

# ---- 1. reachability ----------------------------------------------------------

ping_ok a "$B" || fail "lib-hosts: a cannot ping b"
ping_ok b "$A" || fail "lib-hosts: b cannot ping a"
serve b 5001 r1.log --once --sha256
hexec a "$TCPIO" connect "$B" 5001 --send-random 64K --seed 1 --timeout 5 \
    2>"$T/r1c.log" || fail "lib-hosts: tcpio a -> b failed"
served
grep -qx "$("$TCPIO" gen 64K --seed 1 --sha256)" "$T/r1.log" ||
	fail "lib-hosts: 64 KiB a -> b arrived damaged"
[ "$(peer_of r1.log | cut -d' ' -f1)" = "$A" ] ||
	fail "lib-hosts: b saw $(peer_of r1.log), not $A"
lib_note "reachability ok"

# ---- 2. link down / up -----------------------------------------------------------

link_down a
ping_ok a "$B" && fail "lib-hosts: a still reaches b with its link down"
ping_ok b "$A" && fail "lib-hosts: b still reaches a with a's link down"
link_up a
ping_eventually a "$B" || fail "lib-hosts: a does not reach b after link_up"
ping_ok b "$A" || fail "lib-hosts: b does not reach a after link_up"
lib_note "link_down/link_up ok"

# ---- 3. renumbering ------------------------------------------------------------------

OLD=$A
A=$(addr_change a)
[ "$A" != "$OLD" ] || fail "lib-hosts: addr_change kept $OLD"
[ "$(host_ip a)" = "$A" ] || fail "lib-hosts: host_ip a says $(host_ip a), not $A"
ping_eventually b "$A" || fail "lib-hosts: new address $A does not answer"
ping_ok b "$OLD" && fail "lib-hosts: old address $OLD still answers"
serve b 5003 r3.log --once
hexec a "$TCPIO" connect "$B" 5003 --timeout 5 </dev/null 2>/dev/null ||
	fail "lib-hosts: a cannot connect from its new address"
served
[ "$(peer_of r3.log | cut -d' ' -f1)" = "$A" ] ||
	fail "lib-hosts: b saw $(peer_of r3.log) after renumbering, not $A"
addr_remove a
ping_ok b "$A" && fail "lib-hosts: $A answers after addr_remove"
addr_restore a
ping_eventually b "$A" || fail "lib-hosts: $A does not answer after addr_restore"
ping_ok a "$B" || fail "lib-hosts: a has no route after addr_restore"
lib_note "addr_change/addr_remove/addr_restore ok ($OLD -> $A)"

# ---- 4. black hole ---------------------------------------------------------------------

serve b 5004 r4.log --sha256
SINK=$LIB_BG_PID
wait_tcp a "$B" 5004 2 || fail "lib-hosts: wait_tcp does not see b's listener"
wait_tcp a "$B" 5999 0.3 && fail "lib-hosts: wait_tcp reports a closed port open"
blackhole_on b
ping_ok a "$B" && fail "lib-hosts: ping crosses the black hole"
ping_ok a "$(host_ip c)" || fail "lib-hosts: b's black hole also cut a from c"
rc=0
hexec a "$TCPIO" connect "$B" 5004 --timeout 1 </dev/null 2>"$T/r4c.log" || rc=$?
[ "$rc" -eq 3 ] || fail "lib-hosts: connect into the black hole ended with $rc, not a timeout (3): $(cat "$T/r4c.log")"
blackhole_on b # idempotent
blackhole_off b
ping_eventually a "$B" || fail "lib-hosts: b unreachable after blackhole_off"
n=$(router_exec iptables -S FORWARD | grep -c ev: || true)
[ "$n" -eq 0 ] || fail "lib-hosts: blackhole_off left $n rules"
lib_note "blackhole ok"

# ---- 5. reset ------------------------------------------------------------------------

reset_on b
t0=$(lib_now_ms)
rc=0
hexec a "$TCPIO" connect "$B" 5004 --timeout 5 </dev/null 2>"$T/r5c.log" || rc=$?
dt=$(($(lib_now_ms) - t0))
[ "$rc" -eq 1 ] || fail "lib-hosts: connect with reset_on ended with $rc, not 1"
grep -Eqi 'refused|reset' "$T/r5c.log" ||
	fail "lib-hosts: connect with reset_on failed otherwise: $(cat "$T/r5c.log")"
[ "$dt" -lt 1000 ] || fail "lib-hosts: connect with reset_on took $dt ms"
reset_off b
hexec a "$TCPIO" connect "$B" 5004 --send-random 1K --timeout 5 2>/dev/null \
    >/dev/null || fail "lib-hosts: connect fails after reset_off"
stop_pid "$SINK"
lib_note "reset ok (refused in $dt ms)"

# ---- 6. random loss -------------------------------------------------------------

loss_on b 50
out=$(timeout --foreground 20 ip netns exec "$(host_ns a)" ping -n -q -c 200 -i 0.01 -W 1 "$B" \
    2>&1 || true)
loss_off b
got=$(echo "$out" | awk '/packets transmitted/ { print $4 }')
[ -n "$got" ] || fail "lib-hosts: no ping summary: $out"
# Each direction drops half: about 50 of 200 round trips survive.
{ [ "$got" -ge 15 ] && [ "$got" -le 100 ]; } ||
	fail "lib-hosts: $got of 200 pings answered with 50% loss each way (expected ~50)"
out=$(timeout --foreground 10 ip netns exec "$(host_ns a)" ping -n -q -c 20 -i 0.01 -W 1 "$B" \
    2>&1 || true)
got2=$(echo "$out" | awk '/packets transmitted/ { print $4 }')
[ "${got2:-0}" -eq 20 ] || fail "lib-hosts: ${got2:-0} of 20 pings after loss_off"
lib_note "loss ok ($got of 200 answered at 50% each way)"

# ---- 7. shaping ---------------------------------------------------------------------

# xfer_ms SIZE PORT: b sends SIZE random bytes to a; sets XFER_MS to the
# milliseconds a took to receive them all, after checking the digest.
xfer_ms() {
	local size=$1 port=$2 t0 t1 sum
	serve b "$port" "x$port.log" --once --send-random "$size" --seed 7
	t0=$(lib_now_ms)
	sum=$(hexec a "$TCPIO" connect "$B" "$port" --sha256 --timeout 20 \
	    </dev/null 2>>"$T/xfer.log") || fail "lib-hosts: transfer on port $port failed"
	t1=$(lib_now_ms)
	[ "$sum" = "$("$TCPIO" gen "$size" --seed 7 --sha256)" ] ||
		fail "lib-hosts: transfer on port $port arrived damaged"
	XFER_MS=$((t1 - t0 > 0 ? t1 - t0 : 1))
}

SIZE=$((3 * 1024 * 1024))
xfer_ms $SIZE 5007
fast=$XFER_MS
shape b 10mbit
xfer_ms $SIZE 5008
slow=$XFER_MS
unshape b
xfer_ms $SIZE 5009
again=$XFER_MS
# kB/s = bytes / ms
fast_r=$((SIZE / fast)) slow_r=$((SIZE / slow)) again_r=$((SIZE / again))
lib_note "3 MiB: unshaped ${fast} ms (${fast_r} kB/s), 10mbit ${slow} ms (${slow_r} kB/s), unshaped again ${again} ms"
# 10 mbit/s is 1250 kB/s: allow twice that, and ask the unshaped link to
# be at least 3 times faster.
[ "$slow_r" -le 2500 ] || fail "lib-hosts: 10mbit shaping let ${slow_r} kB/s through"
[ "$fast_r" -ge $((3 * slow_r)) ] ||
	fail "lib-hosts: unshaped ${fast_r} kB/s is not clearly above shaped ${slow_r} kB/s"
[ "$again_r" -ge $((3 * slow_r)) ] ||
	fail "lib-hosts: after unshape still slow (${again_r} kB/s)"

# ---- 8. NAT ----------------------------------------------------------------------------

nat_on a
serve b 5010 r8a.log --once
hexec a "$TCPIO" connect "$B" 5010 --timeout 5 </dev/null 2>/dev/null ||
	fail "lib-hosts: connect through NAT failed"
served
read -r seen port <<<"$(peer_of r8a.log)"
[ "$seen" = "$(router_ip b)" ] ||
	fail "lib-hosts: with nat_on b saw $seen, not the router's $(router_ip b)"
{ [ "$port" -ge 20000 ] && [ "$port" -le 29999 ]; } ||
	fail "lib-hosts: NAT port $port outside 20000-29999"
ping_ok a "$B" || fail "lib-hosts: ping through NAT failed"

# A rebinding breaks a connection in progress: slow it down to keep it open.
if command -v conntrack >/dev/null 2>&1; then
	shape a 2mbit
	serve b 5011 r8b.log --once --sha256
	host_bg a "$T/r8bc.log" "$TCPIO" connect "$B" 5011 \
	    --send-random 4M --timeout 20 >/dev/null
	cpid=$LIB_BG_PID
	sleep 1
	grep -q 'accepted from' "$T/r8b.log" || fail "lib-hosts: slow NAT connection not up"
	nat_remap a
	rc=0
	wait_pid "$cpid" 8 || rc=$?
	[ "$rc" -ne 124 ] || fail "lib-hosts: connection survived nat_remap for 8 s"
	grep -Eqi 'reset|broken pipe|closed by the peer' "$T/r8bc.log" ||
		fail "lib-hosts: after nat_remap the client did not see a reset: $(tail -n 2 "$T/r8bc.log")"
	unshape a
	serve b 5012 r8c.log --once
	hexec a "$TCPIO" connect "$B" 5012 --timeout 5 </dev/null 2>/dev/null ||
		fail "lib-hosts: connect after nat_remap failed"
	served
	read -r seen port <<<"$(peer_of r8c.log)"
	{ [ "$port" -ge 40000 ] && [ "$port" -le 49999 ]; } ||
		fail "lib-hosts: after nat_remap port $port outside 40000-49999"
	lib_note "nat_remap ok (connection reset, new port $port)"
else
	lib_note "conntrack not installed: nat_remap not tested"
fi

nat_off a
serve b 5013 r8d.log --once
hexec a "$TCPIO" connect "$B" 5013 --timeout 5 </dev/null 2>/dev/null ||
	fail "lib-hosts: connect after nat_off failed"
served
[ "$(peer_of r8d.log | cut -d' ' -f1)" = "$A" ] ||
	fail "lib-hosts: after nat_off b saw $(peer_of r8d.log), not $A"
n=$(router_exec iptables -t nat -S POSTROUTING | grep -c ev: || true)
[ "$n" -eq 0 ] || fail "lib-hosts: nat_off left $n rules"
lib_note "nat ok"

# ---- 9. SHA-256 of 5 MiB, both ways ---------------------------------------------------

head -c $((5 * 1024 * 1024)) /dev/urandom >"$T/5m.bin"
serve b 5014 r9.log --once --sha256
# shellcheck disable=SC2016 # expanded by sh
hexec a sh -c 'exec "$0" connect "$1" 5014 --timeout 20 <"$2"' \
    "$TCPIO" "$B" "$T/5m.bin" 2>"$T/r9c.log" ||
	fail "lib-hosts: 5 MiB a -> b failed"
served
want=$(sha256_of "$T/5m.bin")
grep -qx "$want" "$T/r9.log" || fail "lib-hosts: 5 MiB a -> b: digest differs"
grep -q "received 5242880 bytes" "$T/r9.log" ||
	fail "lib-hosts: 5 MiB a -> b: wrong byte count"
serve b 5015 r9b.log --once --send-random 5M --seed 99
hexec a "$TCPIO" connect "$B" 5015 --timeout 20 </dev/null >"$T/5m.back" \
    2>/dev/null || fail "lib-hosts: 5 MiB b -> a failed"
[ "$(sha256_of "$T/5m.back")" = "$("$TCPIO" gen 5M --seed 99 --sha256)" ] ||
	fail "lib-hosts: 5 MiB b -> a: digest differs"
lib_note "sha256 round trips ok"

# ---- 10. cleanup on every exit path ---------------------------------------------------

# subtest MODE: sets up two hosts with a transfer in progress, then fails
# under set -e ("fail") or waits to be killed ("wait").
subtest() {
	set -e
	lib_init lib-hosts-sub
	host_add x
	host_add y
	host_bg y "$T/l.log" "$TCPIO" listen 0.0.0.0 6000 --sha256 >"$1.pids"
	wait_listen y 6000 5
	host_bg x "$T/c.log" "$TCPIO" connect "$(host_ip y)" 6000 \
	    --send-random 1G >>"$1.pids"
	shape x 1mbit
	blackhole_on x
	nat_on x
	echo "$LIB_PFX" >"$1.pfx"
	if [ "$2" = fail ]; then
		false
	fi
	lib_sleep 30
	pass "not reached"
}

# leftovers BASE: namespaces and processes of sub-test BASE still there.
leftovers() {
	local p
	ip netns list | awk -v p="$(cat "$1.pfx")-" 'index($1, p) == 1 { print $1 }'
	while read -r p; do
		[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" &&
			echo "pid $p"
	done <"$1.pids"
	return 0
}

# set -e failure path (run in the background: a subshell tested with ||
# would run with set -e switched off).
(subtest "$T/sub1" fail) >"$T/sub1.log" 2>&1 &
rc=0
wait $! || rc=$?
[ "$rc" -ne 0 ] || fail "lib-hosts: failing sub-test exited 0"
grep -q '^FAIL:' "$T/sub1.log" || fail "lib-hosts: failing sub-test printed no FAIL line"
[ "$(wc -l <"$T/sub1.pids")" -eq 2 ] || fail "lib-hosts: sub-test did not start its peers"
left=$(leftovers "$T/sub1")
[ -z "$left" ] || fail "lib-hosts: after a set -e failure left: $left"

# SIGTERM path.
(subtest "$T/sub2" wait) >"$T/sub2.log" 2>&1 &
sub=$!
for ((i = 0; i < 100; i++)); do
	[ -s "$T/sub2.pfx" ] && break
	sleep 0.05
done
[ -s "$T/sub2.pfx" ] || fail "lib-hosts: killable sub-test did not start"
[ -n "$(leftovers "$T/sub2")" ] ||
	fail "lib-hosts: sub-test namespaces not found before the kill"
kill -TERM "$sub"
rc=0
for ((i = 0; i < 100; i++)); do
	kill -0 "$sub" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$sub" 2>/dev/null && fail "lib-hosts: sub-test still running 5 s after SIGTERM"
wait "$sub" || rc=$?
[ "$rc" -eq 143 ] || fail "lib-hosts: killed sub-test exited $rc, not 143"
left=$(leftovers "$T/sub2")
[ -z "$left" ] || fail "lib-hosts: after SIGTERM left: $left"
lib_note "cleanup ok (set -e failure and SIGTERM)"

pass "lib-hosts: hosts, link, address, black hole, reset, loss, shaping, NAT, SHA-256 and cleanup all behave"
