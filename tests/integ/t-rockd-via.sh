#!/usr/bin/env bash
# The librocks setting that sends a connection to a peer without rocks
# through rockd, in its three forms: the RE-API (rocks_set_via, from Python
# through ctypes, no environment), `rock --via`, and rocks_set_via(fd, NULL)
# overriding the environment.  Through rockd, getpeername() answers the
# real destination and 1 MiB goes each way intact; a rockd that is not
# there costs a plain connection, never a failure; a destination outside
# rockd's --allow list fails connect() with EACCES.
. "$(dirname "$0")/../lib.sh"
lib_init rockd-via
need_root
need_cmd python3
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
for f in "$ROCK" "$ROCKD"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
# a plain echo server (no rock)
cat >"$T/echo.py" <<'PY'
import socket, threading
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9000)); l.listen(64)
def echo(c):
    while True:
        b = c.recv(65536)
        if not b: break
        c.sendall(b)
    c.close()
while True:
    c, _ = l.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()
PY
host_bg server "$T/echo.log" python3 "$T/echo.py" >/dev/null
wait_listen server 9000 5 || fail "the echo server did not start"
host_bg proxy "$T/rockd.log" env EVICT_LOG_LEVEL=info "$ROCKD" --listen 7000 >/dev/null
# a second rockd that may reach only 203.0.113.0/24 and ::1
host_bg proxy "$T/rockd-allow.log" env EVICT_LOG_LEVEL=info "$ROCKD" --listen 7001 \
    --allow 203.0.113.0/24 --allow ::1 >/dev/null
wait_listen proxy 7000 5 && wait_listen proxy 7001 5 || fail "rockd did not start"

cat >"$T/via.py" <<'PY'
import ctypes, hashlib, os, socket, struct, sys
mode, dest, via = sys.argv[1], sys.argv[2], sys.argv[3]
lib = ctypes.CDLL(None, use_errno=True)
s = socket.socket()
if mode in ("api", "off"):
    f = lib.rocks_set_via
    f.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32]
    if mode == "api":
        sa = struct.pack("=H", socket.AF_INET) + struct.pack(">H", 7000) + \
             socket.inet_aton(via) + b"\0" * 8
        buf = ctypes.create_string_buffer(sa, len(sa))
        rc = f(s.fileno(), ctypes.addressof(buf), len(sa))
    else:
        rc = f(s.fileno(), None, 0)
    if rc != 0:
        sys.exit("rocks_set_via: errno %d" % ctypes.get_errno())
s.connect((dest, 9000))
print("peer %s:%d" % s.getpeername())
data = os.urandom(1 << 20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(65536)
    if not b: break
    got += b
print("echo", "ok" if hashlib.sha256(got).digest() == hashlib.sha256(data).digest() else "BAD %d" % len(got))
PY
run() {   # NAME MODE [rock options]: prints the script's output
	local name=$1 mode=$2
	shift 2
	hexec client env EVICT_LOG_LEVEL=info timeout 30 "$ROCK" "$@" python3 \
	    "$T/via.py" "$mode" "$S" "$P" >"$T/$name.out" 2>"$T/$name.log" ||
		fail "$name: $(tail -3 "$T/$name.log")"
	grep -qx "peer $S:9000" "$T/$name.out" || fail "$name: getpeername: $(cat "$T/$name.out")"
	grep -qx "echo ok" "$T/$name.out" || fail "$name: echo: $(cat "$T/$name.out")"
}
run api api
grep -q 'connected through rockd' "$T/api.log" || fail "api: not through rockd"
run opt env --via "$P:7000"
grep -q 'connected through rockd' "$T/opt.log" || fail "rock --via: not through rockd"
run off off --via "$P:7000"
grep -q 'connected through rockd' "$T/off.log" && fail "rocks_set_via(NULL) still went through rockd"
run dead env --via "$P:7999"
grep -q 'connected through rockd' "$T/dead.log" && fail "through a rockd that is not there?"
grep -q 'unreachable' "$T/dead.log" || fail "no warning about the missing rockd"
# a destination outside rockd's allow list: connect() fails with EACCES
hexec client env EVICT_LOG_LEVEL=info timeout 30 "$ROCK" --via "$P:7001" python3 \
    "$T/via.py" env "$S" "$P" >"$T/deny.out" 2>"$T/deny.log" &&
	fail "a destination outside the allow list was reached"
grep -q 'Errno 13' "$T/deny.log" || fail "deny: not EACCES: $(tail -2 "$T/deny.log")"
grep -q 'destination not allowed' "$T/rockd-allow.log" || fail "the refusal was not logged"
n=$(grep -c ' rock .* -> ' "$T/rockd.log")
[ "$n" -eq 2 ] || fail "rockd relayed $n connections, want 2"
pass "rocks_set_via, rock --via and rocks_set_via(NULL) work; getpeername is the destination; a missing rockd falls back; --allow refuses with EACCES"
