#!/usr/bin/env bash
# rockd under abuse.  From an attacking host: a flood of connections that
# never send a byte (more than the per-source handshake limit), garbage,
# truncated EDP announcements, announcements followed by a garbled or an
# oversized negotiation, and negotiations that stop before the rocks
# initialization.  Meanwhile, and after, a rock client on another host
# streams 4 MiB each way through rockd, byte-exact and in time.  rockd
# stays up, closes every attacking connection within its handshake
# timeout (or at once when a limit refuses it), and logs the refusals.
. "$(dirname "$0")/../lib.sh"
lib_init rockd-abuse
need_root
need_cmd python3
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
TCPIO=$PWD/$O/tests/helpers/tcpio
for f in "$ROCK" "$ROCKD" "$TCPIO"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add bad
host_add bad2
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
host_bg server "$T/server.log" "$TCPIO" listen 0.0.0.0 9000 \
    --send-random 4M --seed 8 --sha256 --timeout 120 >/dev/null
wait_listen server 9000 5 || fail "the server did not start"
host_bg proxy "$T/rockd.log" env EVICT_LOG_LEVEL=info "$ROCKD" \
    --listen 7000 --to "$S:9000" --handshake-timeout 2000 \
    --max-handshakes 64 --max-handshakes-per-source 16 >/dev/null
rockd=$LIB_BG_PID
wait_listen proxy 7000 5 || fail "rockd did not start"

cat >"$T/attack.py" <<'PY'
import hashlib, os, socket, struct, sys, time
host, port, kind, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ann = b"".join(hashlib.sha256(b"evict EDP announcement v1" + struct.pack(">I", i)).digest()
               for i in range(32))
hello = struct.pack(">IHH", 0x45445031, 1, 0)
name = b"rocks"
neg = struct.pack(">B", 1) + struct.pack(">I", len(name)) + name + struct.pack(">HH", 1, 1)
payloads = {
    "silent": b"",
    "garbage": os.urandom(4096),
    "truncated": ann[:600],
    "garbled": ann + hello + os.urandom(64),
    "oversized": ann + hello + struct.pack(">IH", 0x7fffffff, 100),
    "noinit": ann + hello + struct.pack(">IH", len(neg), 100) + neg,
}
socks = []
for _ in range(count):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((host, port))
        if payloads[kind]:
            s.sendall(payloads[kind])
        socks.append(s)
    except OSError:
        pass
# every connection must be closed by rockd within the limit: read to EOF
t0, worst, still_open = time.time(), 0.0, 0
for s in socks:
    try:
        s.settimeout(max(0.1, 6 - (time.time() - t0)))
        while s.recv(65536):
            pass
    except socket.timeout:
        still_open += 1
    except OSError:
        pass
    worst = max(worst, time.time() - t0)
    s.close()
print("%s: %d connected, %d still open after 6 s, last closed after %.1f s"
      % (kind, len(socks), still_open, worst))
sys.exit(1 if still_open else 0)
PY

want_up=$("$TCPIO" gen 4M --seed 7 --sha256)
want_down=$("$TCPIO" gen 4M --seed 8 --sha256)
stream() {   # NAME: a rock client through rockd, 4 MiB each way
	hexec client env EVICT_LOG_LEVEL=info timeout 60 "$ROCK" "$TCPIO" \
	    connect "$P" 7000 --send-random 4M --seed 7 --sha256 --timeout 50 \
	    >"$T/$1.out" 2>"$T/$1.log"
}

# 1. a flood of silent connections, over the per-source limit
hexec bad python3 "$T/attack.py" "$P" 7000 silent 100 >"$T/attack-silent.out" 2>&1 &
att=$!
t0=$(lib_now_ms)
stream during || fail "the stream during the flood failed: $(tail -3 "$T/during.log")"
t1=$(lib_now_ms)
[ $((t1 - t0)) -lt 20000 ] || fail "the stream during the flood took $((t1 - t0)) ms"
wait "$att" || fail "flood: $(cat "$T/attack-silent.out")"
lib_note "$(cat "$T/attack-silent.out")"
grep -q 'too many handshakes from this address' "$T/rockd.log" ||
	fail "no refusal by the per-source limit logged"
grep -q 'handshake not finished in time' "$T/rockd.log" ||
	fail "no handshake timeout logged"

# 2. malformed handshakes, one kind after another, beside a stream
(
	for kind in garbage truncated garbled oversized noinit; do
		hexec bad2 python3 "$T/attack.py" "$P" 7000 "$kind" 10 || exit 1
	done
) >"$T/attack-bad.out" 2>&1 &
att=$!
stream beside || fail "the stream beside the bad handshakes failed: $(tail -3 "$T/beside.log")"
wait "$att" || fail "bad handshakes: $(cat "$T/attack-bad.out")"
lib_note "$(cat "$T/attack-bad.out")"
grep -q 'does not run rocks' "$T/rockd.log" || fail "no refusal of a plain client logged"
kill -0 "$rockd" 2>/dev/null || fail "rockd died: $(tail -5 "$T/rockd.log")"
stream after || fail "the stream after the attack failed: $(tail -3 "$T/after.log")"
[ "$(cat "$T/during.out")" = "$want_down" ] || fail "during: bytes from the server differ"
[ "$(cat "$T/beside.out")" = "$want_down" ] || fail "beside: bytes from the server differ"
[ "$(cat "$T/after.out")" = "$want_down" ] || fail "after: bytes from the server differ"
# the server prints its digest when the relayed bytes have all arrived
for _ in $(seq 100); do
	n=$(grep -cx "$want_up" "$T/server.log")
	[ "$n" -ge 3 ] && break
	lib_sleep 0.1
done
[ "$n" -eq 3 ] || fail "the server got the client's 4 MiB intact $n times, want 3"
pass "rockd survived 150 abusive connections, closed each in time, logged the refusals; three 4 MiB streams intact"
