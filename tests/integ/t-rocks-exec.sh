#!/usr/bin/env bash
# A rock survives exec(): a python3 program under rock connects, exchanges
# a line, and execs a second program that takes the socket over; the rock's
# state goes with it (through an inherited memfd), and the connection then
# survives a 4 s outage in the new program.  Also `rock ssh` to `rock sshd`
# (which re-executes itself per connection) works.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-peers.sh"
lib_init rocks-exec
need_root
need_cmd /usr/bin/python3 /usr/sbin/sshd ssh
O=${O:-build}
ROCK=$PWD/$O/bin/rock
[ -x "$ROCK" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)
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
cat >"$T/first.py" <<'PYEOF'
import os, socket, sys
s = socket.create_connection((sys.argv[1], 9100))
s.sendall(b"before\n")
assert s.recv(100) == b"before\n"
fd = s.detach()
os.set_inheritable(fd, True)
os.execv("/usr/bin/python3", ["python3", sys.argv[2], str(fd), sys.argv[3]])
PYEOF
cat >"$T/second.py" <<'PYEOF'
import os, socket, sys, time
s = socket.socket(fileno=int(sys.argv[1]))
while not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
s.sendall(b"after exec\n")
r = s.recv(100)
print("ok" if r == b"after exec\n" else "bad %r" % r)
sys.exit(0 if r == b"after exec\n" else 1)
PYEOF
host_bg server "$T/echo.log" env EVICT_LOG_LEVEL=info "$ROCK" /usr/bin/python3 "$T/echo.py" >/dev/null
wait_listen server 9100 10 || fail "echo server did not start"
hexec client env EVICT_LOG_LEVEL=info "$ROCK" /usr/bin/python3 "$T/first.py" "$S" \
    "$T/second.py" "$T/go" >"$T/out" 2>"$T/log" &
cli=$!
lib_sleep 2
grep -q 'taken over' "$T/log" || fail "the new program did not take the rock over"
link_down client
lib_sleep 4
link_up client
lib_sleep 1
touch "$T/go"
wait "$cli" || fail "after exec: $(cat "$T/out") $(tail -2 "$T/log")"
grep -q 'resumed after' "$T/log" || fail "no reconnection after exec"

peer_sshd server 2222 >/dev/null || fail "sshd"
stop_pid "$LIB_BG_PID"
host_bg server "$T/rsshd.log" "$ROCK" /usr/sbin/sshd -D -e \
    -f "$T/sshd-server-2222/sshd_config" >/dev/null
wait_listen server 2222 5 || fail "sshd under rock did not start"
out=$(hexec client "$ROCK" ssh -i "$T/id_peer" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
    -p 2222 "root@$S" 'echo through-rock-sshd' 2>/dev/null)
[ "$out" = through-rock-sshd ] || fail "rock ssh to rock sshd: '$out'"
pass "a rock crossed exec and then an outage; rock ssh to rock sshd works"
