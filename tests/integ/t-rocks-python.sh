#!/usr/bin/env bash
# Unmodified event-loop programs under rock: a python3 asyncio echo server
# (epoll) and a poll()-based python3 client exchange 3000 numbered lines,
# one every 5 ms, across a 4 s outage; every line comes back once, in order.
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
host_bg server "$T/server.log" env EVICT_LOG_LEVEL=info "$ROCK" "$PY" "$T/server.py" >/dev/null
wait_listen server 9100 10 || fail "asyncio server did not start"
hexec client env EVICT_LOG_LEVEL=info "$ROCK" "$PY" "$T/client.py" "$S" \
    >"$T/client.out" 2>"$T/client.log" &
cli=$!
lib_sleep 3
link_down client
lib_sleep 4
link_up client
kill -0 "$cli" 2>/dev/null || fail "the exchange ended before the outage was over"
wait "$cli" || fail "client failed: $(tail -3 "$T/client.log")"
[ "$(cat "$T/client.out")" = ok ] || fail "lines lost, repeated or out of order"
grep -q 'resumed after' "$T/client.log" || fail "no reconnection happened"
pass "python3 asyncio server and poll client: 3000 lines exactly once across an outage"
