#!/usr/bin/env bash
# A rock shared across fork: a client under rock connects to an echo
# server, forks, and both processes use the connection (the child writes a
# line, the parent reads the echo); the rock is then held by a rocks-keeper
# on the client (rockctl says so) while the fd keeps the TCP socket's
# addresses.  The parent streams 6 MiB through it and reads the echo back
# across a 4 s outage (the keeper reconnects as the initiator), then
# half-closes: the server's end of file and its close travel back through
# the keeper, and the keeper goes when the last process closed its end.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-fork
need_root
need_cmd /usr/bin/python3
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKCTL=$PWD/$O/bin/rockctl
[ -x "$ROCK" ] && [ -x "$ROCKCTL" ] && [ -x "$O/lib/rocks-keeper" ] ||
	fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)
shape client 16mbit

cat >"$T/echo.py" <<'PYEOF'
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9400)); l.listen(4)
while True:          # a probe that reaches the program is just a short client
    c, _ = l.accept()
    n = 0
    while d := c.recv(65536):
        c.sendall(d)
        n += len(d)
    print("echoed", n, flush=True)
    c.close()
PYEOF
cat >"$T/client.py" <<'PYEOF'
import hashlib, os, socket, sys, threading
s = socket.create_connection((sys.argv[1], 9400))
s.sendall(b"hello\n")
assert s.recv(100) == b"hello\n"
pid = os.fork()
if pid == 0:
    s.sendall(b"from the child\n")
    os._exit(0)
assert os.waitpid(pid, 0)[1] == 0
line = b""
while len(line) < 15:
    line += s.recv(100)
assert line == b"from the child\n", line
assert s.getpeername() == (sys.argv[1], 9400), s.getpeername()
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET
open(sys.argv[2], "w").close()
data = hashlib.shake_256(b"rocks-fork").digest(6 << 20)
got = bytearray()
def reader():
    while d := s.recv(65536):
        got.extend(d)
t = threading.Thread(target=reader)
t.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
t.join(120)
print("ok" if bytes(got) == data else "bad: %d bytes" % len(got))
PYEOF

host_bg server "$T/echo.log" env EVICT_LOG_LEVEL=info "$ROCK" \
    /usr/bin/python3 "$T/echo.py" >/dev/null
wait_listen server 9400 10 || fail "echo server did not start"
hexec client env EVICT_LOG_LEVEL=info EVICT_LOG_FILE="$T/client.log" \
    "$ROCK" /usr/bin/python3 "$T/client.py" "$S" "$T/ready" \
    >"$T/out" 2>"$T/err" &
cli=$!
for _ in $(seq 1 100); do
	[ -e "$T/ready" ] && break
	kill -0 "$cli" 2>/dev/null || break
	lib_sleep 0.1
done
[ -e "$T/ready" ] || fail "client: $(tail -3 "$T/err") $(tail -3 "$T/client.log")"
hexec client "$ROCKCTL" list >"$T/rockctl.txt" 2>&1
grep -q 'rocks-keeper .*CONNECTED' "$T/rockctl.txt" ||
	fail "rockctl shows no rock held by a keeper: $(cat "$T/rockctl.txt")"
lib_sleep 1
link_down client
lib_sleep 4
link_up client
wait "$cli" || fail "client exited $?: $(tail -3 "$T/err")"
[ "$(cat "$T/out")" = ok ] || fail "client: $(cat "$T/out") $(tail -3 "$T/err")"
grep -q 'handed to keeper' "$T/client.log" || fail "no keeper in the client's log"
grep -q 'resumed after' "$T/client.log" || fail "no reconnection by the keeper"
for _ in $(seq 1 50); do
	grep -q "echoed $(((6 << 20) + 21))" "$T/echo.log" && break
	lib_sleep 0.1
done
grep -q "echoed $(((6 << 20) + 21))" "$T/echo.log" ||
	fail "the server did not see the whole stream end: $(tail -2 "$T/echo.log")"
for _ in $(seq 1 50); do
	grep -q 'closed by the program' "$T/client.log" && break
	lib_sleep 0.1
done
grep -q 'closed by the program' "$T/client.log" ||
	fail "the keeper did not close the rock: $(tail -2 "$T/client.log")"
pass "a rock shared by a parent and a child through a keeper: lines both ways, 6 MiB echoed across a 4 s outage, half-close and close"
