#!/usr/bin/env bash
# A long outage (10 minutes; ROCKS_LONG_OUTAGE=seconds to change it) is
# survived by an idle rock and a busy one at the same time: the idle one
# exchanges a line before and after, the busy one streams through it and
# arrives byte-exact (SHA-256).
. "$(dirname "$0")/../lib.sh"
lib_init rocks-long
need_root
need_cmd /usr/bin/python3
O=${O:-build}
ROCK=$PWD/$O/bin/rock
TCPIO=$PWD/$O/tests/helpers/tcpio
[ -x "$ROCK" ] && [ -x "$TCPIO" ] || fail "build first ($O)"
OUT=${ROCKS_LONG_OUTAGE:-600}

host_add client
host_add server
S=$(host_ip server)
shape client 40mbit
cat >"$T/echo.py" <<'PYEOF'
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9100)); l.listen(4)
while True:          # a probe that reaches the program is just a short client
    c, _ = l.accept()
    while d := c.recv(4096):
        c.sendall(d)
    c.close()
PYEOF
cat >"$T/idle.py" <<'PYEOF'
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 9100))
s.sendall(b"before\n")
assert s.recv(100) == b"before\n"
print("before ok", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.2)
s.sendall(b"after\n")
r = s.recv(100)
print("after ok" if r == b"after\n" else "after got %r" % r, flush=True)
sys.exit(0 if r == b"after\n" else 1)
PYEOF
want=$("$TCPIO" gen 48M --seed 8 --sha256)
host_bg server "$T/echo.log" env EVICT_LOG_LEVEL=info "$ROCK" /usr/bin/python3 "$T/echo.py" >/dev/null
host_bg server "$T/sink.log" env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" \
    listen 0.0.0.0 9000 --once --sha256 --timeout $((OUT + 300)) >/dev/null
srv=$LIB_BG_PID
wait_listen server 9100 10 && wait_listen server 9000 5 || fail "servers did not start"
hexec client env EVICT_LOG_LEVEL=info "$ROCK" /usr/bin/python3 "$T/idle.py" "$S" "$T/go" \
    >"$T/idle.out" 2>"$T/idle.log" &
idle=$!
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$TCPIO" connect "$S" 9000 \
    --send-random 48M --seed 8 --timeout $((OUT + 300)) >/dev/null 2>"$T/busy.log" &
busy=$!
lib_sleep 3
link_down client
lib_note "outage of $OUT s"
lib_sleep "$OUT"
link_up client
kill -0 "$busy" 2>/dev/null || fail "the busy stream did not last through the outage"
touch "$T/go"
wait "$idle" || fail "idle connection: $(cat "$T/idle.out") $(tail -2 "$T/idle.log")"
wait "$busy" || fail "busy connection: $(tail -2 "$T/busy.log")"
wait_pid "$srv" 60
got=$(grep -E '^[0-9a-f]{64}$' "$T/sink.log" | tail -1)
[ "$got" = "$want" ] || fail "stream damaged: sha $got, want $want"
pass "idle and busy rocks survived a $OUT s outage"
