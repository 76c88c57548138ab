#!/usr/bin/env bash
# Re-resolution: a rock whose program connected by host name resolves it
# again when the peer's last known address fails.  The client reaches the
# server as "rockpeer" (a hosts file bind-mounted in the client's own mount
# namespace); during one outage of the client's link both hosts change
# address, so neither can tell the other where it went (the server's
# heartbeats go to the client's old address).  The hosts file then names
# the server's new address: the client finds it there, and the stream
# both ways is byte-exact.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-resolve
need_root
need_cmd unshare
O=${O:-build}
ROCK=$PWD/$O/bin/rock
TCPIO=$PWD/$O/tests/helpers/tcpio
for f in "$ROCK" "$TCPIO"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add server
shape client 20mbit
shape server 20mbit
echo "$(host_ip server) rockpeer" >"$T/hosts"
want_c2s=$("$TCPIO" gen 12M --seed 11 --sha256)
want_s2c=$("$TCPIO" gen 12M --seed 12 --sha256)
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" \
    listen 0.0.0.0 9000 --once --send-random 12M --seed 12 --sha256 \
    --timeout 120 >/dev/null
srv=$LIB_BG_PID
wait_listen server 9000 5 || fail "the server did not start"
# shellcheck disable=SC2016
hexec client unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
    sh "$T/hosts" env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" connect rockpeer 9000 \
    --send-random 12M --seed 11 --sha256 --timeout 120 \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!

lib_sleep 1.5
link_down client
new_s=$(addr_change server) || fail "addr_change server"
new_c=$(addr_change client) || fail "addr_change client"
lib_sleep 3
echo "$new_s rockpeer" >"$T/hosts"
link_up client
lib_note "server now $new_s, client now $new_c"
kill -0 "$cli" 2>/dev/null || fail "the stream ended before the moves"

wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
wait_pid "$srv" 60
[ "$(cat "$T/client.out")" = "$want_s2c" ] || fail "server to client: bytes differ"
got=$(grep -E '^[0-9a-f]{64}$' "$T/server.log" | tail -1)
[ "$got" = "$want_c2s" ] || fail "client to server: bytes differ"
grep -q 'peer named rockpeer' "$T/client.log" || fail "the rock did not learn its peer's name"
grep -q 'rockpeer now resolves elsewhere' "$T/client.log" ||
	fail "the client did not resolve the name again"
pass "both ends moved during one outage; the client found the server again by name; 12 MiB each way intact"
