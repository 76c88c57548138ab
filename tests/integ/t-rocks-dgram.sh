#!/usr/bin/env bash
# The RE-API's datagram tunnel across an outage: a small C program (tests/
# helpers/rocks-dgram.c) sends 2000 datagrams of 0 to 60000 bytes, one every
# 5 ms, through a rock to a peer that echoes them; the link goes down for
# 4 s.  Every echo comes back once, in order, with its length and content
# hash; datagrams sent while the rock was suspended are among them, and the
# suspend and resume callbacks (a UDP program's failure and recovery
# notices) were called.
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
wait_listen server 9200 10 || fail "the datagram server did not start"
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$DG" client "$S" 9200 2000 \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!
lib_sleep 3
link_down client
lib_sleep 4
link_up client
kill -0 "$cli" 2>/dev/null || fail "the client ended before the outage was over"
wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
out=$(cat "$T/client.out")
lib_note "$out"
case $out in
"ok 2000 datagrams, "*) ;;
*) fail "datagrams lost, repeated, changed or out of order: $out" ;;
esac
read -r _ _ _ susp _ _ _ nsusp _ nres _ <<<"$out"
[ "$susp" -gt 0 ] || fail "no datagram was sent while the rock was suspended"
[ "$nsusp" -ge 1 ] && [ "$nres" -ge 1 ] || fail "callbacks: $nsusp suspends, $nres resumes"
grep -q 'resumed after' "$T/client.log" || fail "no reconnection happened"
wait_pid "$srv" 20 || fail "the server did not end"
grep -qx "served 2000" "$T/server.log" || fail "server: $(tail -3 "$T/server.log")"
pass "datagram tunnel: 2000 datagrams exactly once, in order, across a 4 s outage"
