#!/usr/bin/env bash
# The RE-API's datagram tunnel across an outage: a small C program (tests/
# helpers/rocks-dgram.c) sends 2000 datagrams of 0 to 60000 bytes, one every
# 5 ms, through a rock to a peer that echoes them; the link goes down for
# 4 s.  Every echo comes back once, in order, with its length and content
# hash; datagrams sent while the rock was suspended are among them, and the
# suspend and resume callbacks (a UDP program's failure and recovery
# notices) were called.  A second pair does the same at the same time with
# a 64 KiB queue, which the outage fills: sends are refused (EAGAIN), and
# the datagrams sent again after it still arrive exactly once, in order.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-dgram
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
DG=$PWD/$O/tests/helpers/rocks-dgram
[ -x "$ROCK" ] && [ -x "$DG" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info "$ROCK" "$DG" server 9200 >/dev/null
srv=$LIB_BG_PID
host_bg server "$T/server-q.log" "$ROCK" "$DG" server 9201 >/dev/null
srvq=$LIB_BG_PID
wait_listen server 9200 10 && wait_listen server 9201 10 ||
	fail "the datagram servers did not start"
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$DG" client "$S" 9200 2000 \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!
hexec client "$ROCK" "$DG" client "$S" 9201 2000 65536 \
    >"$T/client-q.out" 2>"$T/client-q.log" &
cliq=$!
lib_sleep 3
link_down client
lib_sleep 4
link_up client
kill -0 "$cli" 2>/dev/null && kill -0 "$cliq" 2>/dev/null ||
	fail "a client ended before the outage was over"
wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
wait "$cliq" || fail "client (64 KiB queue) failed: $(tail -3 "$T/client-q.log")"
out=$(cat "$T/client.out")
outq=$(cat "$T/client-q.out")
lib_note "$out"
lib_note "64 KiB queue: $outq"
for o in "$out" "$outq"; do
	case $o in
	"ok 2000 datagrams, "*) ;;
	*) fail "datagrams lost, repeated, changed or out of order: $o" ;;
	esac
done
read -r _ _ _ susp _ _ _ nsusp _ nres _ _ <<<"$out"
[ "$susp" -gt 0 ] || fail "no datagram was sent while the rock was suspended"
[ "$nsusp" -ge 1 ] && [ "$nres" -ge 1 ] || fail "callbacks: $nsusp suspends, $nres resumes"
read -r _ _ _ _ _ _ _ _ _ _ _ refused _ <<<"$outq"
[ "$refused" -gt 0 ] || fail "the 64 KiB queue never filled during the outage"
grep -q 'resumed after' "$T/client.log" || fail "no reconnection happened"
wait_pid "$srv" 20 && wait_pid "$srvq" 20 || fail "a server did not end"
grep -qx "served 2000" "$T/server.log" || fail "server: $(tail -3 "$T/server.log")"
grep -qx "served 2000" "$T/server-q.log" || fail "server: $(tail -3 "$T/server-q.log")"
pass "datagram tunnel: 2 x 2000 datagrams exactly once, in order, across a 4 s outage"
