#!/usr/bin/env bash
# Unmodified event-loop programs under rock: a python3 asyncio echo server
# (epoll) and a poll()-based python3 client exchange 3000 numbered lines,
# one every 5 ms, across a 4 s outage; every line comes back once, in order.
# Non-blocking connects (EINPROGRESS, completed in the background): at the
# same time a python3 asyncio client streams 8 MiB through a byte echo server
# across the same outage (SHA-256 both ways), curl downloads from a python3
# http.server under rock (SHA-256, and the connection is a rock), and an
# asyncio connect to a closed port fails as it does without rock.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-python
need_root
need_cmd /usr/bin/python3
O=${O:-build}
ROCK=$PWD/$O/bin/rock
[ -x "$ROCK" ] || fail "build first ($O)"
PY=/usr/bin/python3

host_add client
host_add server
S=$(host_ip server)
cat >"$T/server.py" <<'PYEOF'
import asyncio
async def echo(r, w):
    while line := await r.readline():
        w.write(line)
        await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(echo, "0.0.0.0", 9100)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PYEOF
cat >"$T/client.py" <<'PYEOF'
import select, socket, sys, time
s = socket.create_connection((sys.argv[1], 9100))
p = select.poll()
p.register(s, select.POLLIN)
buf = b""
got = []
for i in range(3000):
    s.sendall(b"%d\n" % i)
    while b"\n" not in buf:
        if not p.poll(60000):
            sys.exit("timed out waiting for line %d" % i)
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed at line %d" % i)
        buf += d
    line, buf = buf.split(b"\n", 1)
    got.append(int(line))
    time.sleep(0.005)
ok = got == list(range(3000))
print("ok" if ok else "mismatch")
sys.exit(0 if ok else 1)
PYEOF
cat >"$T/becho.py" <<'PYEOF'
import asyncio
async def echo(r, w):
    while d := await r.read(65536):
        w.write(d)
        await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(echo, "0.0.0.0", 9101)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PYEOF
# asyncio's connect: a non-blocking connect(), epoll for writable, SO_ERROR
cat >"$T/aclient.py" <<'PYEOF'
import asyncio, hashlib, random, sys
N, CHUNK = int(sys.argv[3]), 4096
async def main():
    try:
        r, w = await asyncio.open_connection(sys.argv[1], int(sys.argv[2]))
    except OSError as e:
        print("connect failed: errno %d" % e.errno)
        return
    rnd = random.Random(7)
    hs, hr = hashlib.sha256(), hashlib.sha256()
    async def reader():
        left = N * CHUNK
        while left:
            d = await asyncio.wait_for(r.read(65536), 60)
            if not d:
                sys.exit("closed with %d bytes to come" % left)
            hr.update(d)
            left -= len(d)
    t = asyncio.create_task(reader())
    for i in range(N):
        b = rnd.randbytes(CHUNK)
        hs.update(b)
        w.write(b)
        await w.drain()
        await asyncio.sleep(0.005)
    await t
    w.close()
    print("ok" if hs.digest() == hr.digest() else "mismatch")
asyncio.run(main())
PYEOF
mkdir -p "$T/www"
head -c 3000000 /dev/urandom >"$T/www/big.bin"
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info "$ROCK" "$PY" "$T/server.py" >/dev/null
host_bg server "$T/becho.log" env EVICT_LOG_LEVEL=info "$ROCK" "$PY" "$T/becho.py" >/dev/null
host_bg server "$T/http.log" env EVICT_LOG_LEVEL=info "$ROCK" "$PY" -m http.server \
    --directory "$T/www" 9102 >/dev/null
wait_listen server 9100 10 || fail "asyncio server did not start"
wait_listen server 9101 10 || fail "asyncio byte echo server did not start"
wait_listen server 9102 10 || fail "http.server did not start"

if [ -z "${EVICT_SANITIZED:-}" ]; then
	hexec client env EVICT_LOG_LEVEL=info "$ROCK" curl -sS -o "$T/got.bin" \
	    "http://$S:9102/big.bin" 2>"$T/curl.log" || fail "curl under rock: $(tail -3 "$T/curl.log")"
	[ "$(sha256_of "$T/got.bin")" = "$(sha256_of "$T/www/big.bin")" ] ||
		fail "curl's download under rock differs from the file"
	grep -q 'rock [0-9]* connected (id' "$T/curl.log" ||
		fail "curl's connection to a rock server was not a rock"
	lib_note "curl (non-blocking connect) to http.server under rock: a rock, same SHA-256"
fi
# the pending connect as the program sees it (the EDP takes round trips)
cat >"$T/pending.py" <<'PYEOF'
import errno, select, socket, sys
s = socket.socket()
s.setblocking(False)
out = []
for what, f in (("connect", lambda: s.connect((sys.argv[1], 9102))),
                ("send", lambda: s.send(b"x")),
                ("recv", lambda: s.recv(1)),
                ("connect", lambda: s.connect((sys.argv[1], 9102)))):
    try:
        f()
        out.append(what + " ok")
    except OSError as e:
        out.append(what + " " + errno.errorcode[e.errno])
p = select.poll()
p.register(s, select.POLLOUT)
out.append("writable %s" % bool(p.poll(10000)))
out.append("SO_ERROR %d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
s.setblocking(True)
s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
out.append(s.recv(12).decode())
# in an edge-triggered epoll set before connect(), as nginx puts upstreams:
# its one event comes when the connection is ready for the program
e = select.epoll()
s = socket.socket()
s.setblocking(False)
e.register(s, select.EPOLLOUT | select.EPOLLET)
try:
    s.connect((sys.argv[1], 9102))
except BlockingIOError:
    pass
out.append("epoll %s" % bool(e.poll(10)))
s.send(b"GET /big.bin HTTP/1.0\r\n\r\n")
s.setblocking(True)
out.append(s.recv(12).decode())
print(", ".join(out))
PYEOF
got=$(hexec client "$ROCK" "$PY" "$T/pending.py" "$S" 2>&1)
[ "$got" = "connect EINPROGRESS, send EAGAIN, recv EAGAIN, connect EALREADY, writable True, SO_ERROR 0, HTTP/1.0 200, epoll True, HTTP/1.0 200" ] ||
	fail "a non-blocking connect under way, under rock: $got"
a=$(hexec client "$PY" "$T/aclient.py" "$S" 9109 1 2>&1)
b=$(hexec client "$ROCK" "$PY" "$T/aclient.py" "$S" 9109 1 2>&1)
[ "$a" = "$b" ] && [ "$a" = "connect failed: errno 111" ] ||
	fail "asyncio connect to a closed port: under rock '$b', plain '$a'"

hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$PY" "$T/client.py" "$S" \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$PY" "$T/aclient.py" "$S" 9101 2048 \
    >"$T/aclient.out" 2>"$T/aclient.log" &
acli=$!
lib_sleep 3
link_down client
lib_sleep 4
link_up client
kill -0 "$cli" 2>/dev/null || fail "the exchange ended before the outage was over"
kill -0 "$acli" 2>/dev/null || fail "the asyncio stream ended before the outage was over"
wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
[ "$(cat "$T/client.out")" = ok ] || fail "lines lost, repeated or out of order"
grep -q 'resumed after' "$T/client.log" || fail "no reconnection happened"
wait "$acli" || fail "asyncio client failed: $(tail -3 "$T/aclient.log")"
[ "$(cat "$T/aclient.out")" = ok ] || fail "asyncio stream: SHA-256 of the echo differs"
grep -q 'rock [0-9]* connected (id' "$T/aclient.log" || fail "asyncio client: no rock"
grep -q 'resumed after' "$T/aclient.log" || fail "asyncio client: no reconnection happened"
pass "python3 asyncio and poll clients across an outage (3000 lines exactly once, 8 MiB by SHA-256); curl and asyncio non-blocking connects"
