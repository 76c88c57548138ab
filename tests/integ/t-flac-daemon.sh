#!/usr/bin/env bash
# t-flac-daemon: flacd, the transfer combinator through it between two
# local trees, and its service instances.
#   - pull on open by modification time (the primary lacks the file, has
#     an older copy, has a newer one), push on close (also of an fd
#     replaced by dup2, and of one still open at exit); contents checked
#     on both trees (SHA-256)
#   - the secondary unavailable (its tree moved away): FAIL fails the open
#     (ENOTCONN), IGNORE goes on with the primary; BLOCK waits until the
#     tree is back and then reads the secondary's copy; a blocked program
#     that is killed ends the wait (flacd goes on)
#   - a service that cannot be reached (rpc() at a loopback port nobody
#     serves): ENOTCONN with FAIL, the primary with IGNORE, and flacd says
#     which service is away; garbage on the socket closes that client only
#   - flac -f starts flacd when a spec has a service that is not local(),
#     and it exits when idle
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-daemon
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
[ -x "$FLAC" ] && [ -x "$FLACD" ] || skip "flac-daemon: $O/bin/flac or flacd is not built"
need_cmd /usr/bin/python3
npass=0
nfail=0
ok() { echo "PASS: flac-daemon: $1"; npass=$((npass + 1)); }
ko() { echo "FAIL: flac-daemon: $1"; nfail=$((nfail + 1)); }
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
bg() {	# bg CMD...: in the background, recorded for cleanup; BG_PID
	"$@" &
	BG_PID=$!
	lib__record_pid "$BG_PID"
	LIB_CHILDREN+=("$BG_PID")
}

P=$T/pri S=$T/sec
mkdir -p "$P" "$S/sub"
spec() {	# spec NAME PULLMOD PUSHMOD [SECONDARY]
	printf 'root overlay(extendtree(transfer(subtree(local(), %s), %s, pushpull, %s, %s), /data), local())\n' \
	    "$P" "${4:-subtree(local(), $S)}" "$2" "$3" >"$T/$1.flac"
}
spec fail FAIL FAIL
spec ignore IGNORE IGNORE
spec block BLOCK BLOCK
export FLACD_SOCKET=$T/flacd.sock
# a key, so that the rpc() below fails for want of its server
export FLAC_RPC_KEY=$T/rpc.key
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$FLAC_RPC_KEY")
bg "$FLACD" -F -s "$FLACD_SOCKET" -v 2>"$T/flacd.log"
flacd_pid=$BG_PID
for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
[ -S "$FLACD_SOCKET" ] || fail "flac-daemon: flacd does not listen: $(cat "$T/flacd.log")"
run() {	# run OUT SPEC CMD...: under flac -d, output and rc in OUT
	local out=$1 s=$2
	shift 2
	timeout 30 "$FLAC" -f "$T/$s.flac" -d -- "$@" >"$out" 2>&1
	echo "rc=$?" >>"$out"
}

# ---- pull on open, by modification time -------------------------------------
head -c 200000 /dev/urandom >"$S/sub/a"
echo "new on the secondary" >"$S/b"
echo "old on the primary" >"$P/b"
touch -d 2020-01-01 "$P/b"
echo "newer on the primary" >"$P/c"
echo "older on the secondary" >"$S/c"
touch -d 2020-01-01 "$S/c"
run "$T/a.out" fail sha256sum /data/sub/a
if grep -q "^$(sha "$S/sub/a")  /data/sub/a" "$T/a.out" &&
    [ "$(sha "$P/sub/a")" = "$(sha "$S/sub/a")" ] &&
    [ "$(stat -c %Y "$P/sub/a")" = "$(stat -c %Y "$S/sub/a")" ]; then
	ok "pull: a file only the secondary has is copied (with its directory and time) and read"
else
	ko "pull of a new file: $(tr '\n' '|' <"$T/a.out")"
fi
run "$T/b.out" fail cat /data/b
if grep -q "^new on the secondary$" "$T/b.out" && grep -q "^new on the secondary$" "$P/b"; then
	ok "pull: an older copy on the primary is replaced by the secondary's"
else
	ko "pull of a newer file: $(tr '\n' '|' <"$T/b.out")"
fi
run "$T/c.out" fail cat /data/c
if grep -q "^newer on the primary$" "$T/c.out" && grep -q "^older on the secondary$" "$S/c"; then
	ok "pull: a newer copy on the primary is kept (and reading pushes nothing)"
else
	ko "no pull of an older file: $(tr '\n' '|' <"$T/c.out") / $(cat "$S/c")"
fi

# ---- push on close --------------------------------------------------------------
head -c 300000 /dev/urandom >"$T/payload"
run "$T/d.out" fail sh -c 'mkdir -p /data/nd/deep && cp "$0" /data/nd/deep/d' "$T/payload"
if grep -q "^rc=0$" "$T/d.out" && [ "$(sha "$P/nd/deep/d")" = "$(sha "$T/payload")" ] &&
    [ "$(sha "$S/nd/deep/d")" = "$(sha "$T/payload")" ]; then
	grep -q "push /data/nd/deep/d: $P/nd/deep/d -> $S/nd/deep/d" "$T/flacd.log" &&
	    ok "push: a file written is copied (by flacd) to the secondary on close, with its directories (same SHA-256 on both trees)" ||
	    ko "push on close: flacd did not do it"
else
	ko "push on close: $(tr '\n' '|' <"$T/d.out"); pri $(sha "$P/nd/deep/d") sec $(sha "$S/nd/deep/d")"
fi
run "$T/d2.out" fail python3 -c '
f = open("/data/c", "r+"); f.seek(0); f.write("CHANGED"); f.close()'
if grep -q "^CHANGEDn the primary$" "$S/c"; then
	ok "push: an update replaces the secondary's older copy"
else
	ko "push of an update: $(cat "$S/c") $(tr '\n' '|' <"$T/d2.out")"
fi

# a shell's redirections (the fd is dup2'd over, then replaced) and a
# file still open when the program exits are pushed too
run "$T/d3.out" fail bash -c 'echo one > /data/r1; echo two >> /data/r1; exec 5>/data/r2; echo left-open >&5'
if printf 'one\ntwo\n' | cmp -s - "$S/r1" && [ "$(cat "$S/r2" 2>/dev/null)" = left-open ]; then
	ok "push: shell redirections and a file left open at exit reach the secondary"
else
	ko "push of redirections: r1=$(tr '\n' '|' <"$S/r1" 2>/dev/null) r2=$(cat "$S/r2" 2>/dev/null) $(tr '\n' '|' <"$T/d3.out")"
fi

# ---- the secondary unavailable ---------------------------------------------------
mv "$S" "$T/away"
before=$(cd "$P" && find . -type f | sort | xargs sha256sum)
run "$T/f1.out" fail cat /data/b
if grep -q "Transport endpoint is not connected" "$T/f1.out" && ! grep -q "^rc=0$" "$T/f1.out" &&
    grep -q "pull /data/b: local() ($S) is not available: not now; failing the operation (FAIL)" "$T/flacd.log"; then
	ok "FAIL: the open fails (ENOTCONN) while the secondary is away, and flacd says why"
else
	ko "FAIL while away: $(tr '\n' '|' <"$T/f1.out")"
fi
run "$T/i1.out" ignore cat /data/b
run "$T/i2.out" ignore sh -c 'cp "$0" /data/e && cat /data/e | wc -c' "$T/payload"
after=$(cd "$P" && find . -type f ! -name e | sort | xargs sha256sum)
if grep -q "^new on the secondary$" "$T/i1.out" && grep -q "^300000$" "$T/i2.out" &&
    [ "$(sha "$P/e")" = "$(sha "$T/payload")" ] && [ "$before" = "$after" ] &&
    [ ! -e "$S" ]; then
	ok "IGNORE: reads and writes go on with the primary while the secondary is away"
else
	ko "IGNORE while away: $(tr '\n' '|' <"$T/i1.out") $(tr '\n' '|' <"$T/i2.out")"
fi

# BLOCK: waits for the tree to come back, then pulls its (newer) copy
bg sh -c "timeout 60 '$FLAC' -f '$T/block.flac' -d -- cat /data/b >'$T/blk.out' 2>&1; echo rc=\$? >>'$T/blk.out'"
blk=$BG_PID
sleep 1.5
if kill -0 "$blk" 2>/dev/null && ! grep -q "^rc=" "$T/blk.out"; then
	ok "BLOCK: the open waits while the secondary is away"
else
	ko "BLOCK did not wait: $(tr '\n' '|' <"$T/blk.out")"
fi
echo "back, and newer" >"$T/away/b"
mv "$T/away" "$S"
for _ in $(seq 1 100); do grep -q "^rc=" "$T/blk.out" 2>/dev/null && break; sleep 0.1; done
if grep -q "^back, and newer$" "$T/blk.out" && grep -q "^rc=0$" "$T/blk.out"; then
	ok "BLOCK: the open completes when the secondary is back, with its newer copy"
else
	ko "BLOCK after the return: $(tr '\n' '|' <"$T/blk.out" 2>/dev/null)"
fi
# a signal whose handler raises ends a blocked open with EINTR
mv "$S" "$T/away"
run "$T/intr.out" block python3 -c '
import signal, time
def ring(n, f):
    raise TimeoutError("alarm")
signal.signal(signal.SIGALRM, ring)
signal.alarm(1)
t = time.monotonic()
try:
    open("/data/b").read()
    print("opened")
except TimeoutError:
    print("interrupted after %.1f s" % (time.monotonic() - t))
'
if grep -q "^interrupted after 1\.[0-9] s$" "$T/intr.out"; then
	ok "BLOCK: a signal interrupts the wait (the handler runs, the open does not complete)"
else
	ko "BLOCK and a signal: $(tr '\n' '|' <"$T/intr.out")"
fi
mv "$T/away" "$S"
# a blocked program that is killed: flacd stops waiting and goes on
mv "$S" "$T/away"
n0=$(grep -c "pull /data/b: the wait for local() was interrupted" "$T/flacd.log")
bg "$FLAC" -f "$T/block.flac" -d -- cat /data/b
blk=$BG_PID
sleep 1
kill "$blk" 2>/dev/null
wait "$blk" 2>/dev/null
n1=$n0
for _ in $(seq 1 30); do
	n1=$(grep -c "pull /data/b: the wait for local() was interrupted" "$T/flacd.log")
	[ "$n1" -gt "$n0" ] && break
	sleep 0.1
done
mv "$T/away" "$S"
if [ "$n1" -gt "$n0" ] &&
    "$FLACD" -l -s "$FLACD_SOCKET" | grep -q "^session 1 $T/fail.flac"; then
	ok "BLOCK: killing the waiting program ends flacd's wait; flacd goes on"
else
	ko "BLOCK interrupted: $(tail -5 "$T/flacd.log" | tr '\n' '|')"
fi

# ---- a service that cannot be reached; bad clients ----------------------------------
# (port 1 of loopback: nobody serves it, the refusal is immediate)
spec rpcfail FAIL FAIL 'rpc(host="127.0.0.1", port=1)'
spec rpcign IGNORE IGNORE 'rpc(host="127.0.0.1", port=1)'
run "$T/r1.out" rpcfail cat /data/c
run "$T/r2.out" rpcign cat /data/c
if grep -q "Transport endpoint is not connected" "$T/r1.out" && grep -q "^CHANGEDn the primary$" "$T/r2.out" &&
    grep -q "pull /data/c: rpc(host=\"127.0.0.1\", port=\"1\") (/) is not available: not now; failing the operation (FAIL)" "$T/flacd.log" &&
    grep -q "pull /data/c: rpc(host=\"127.0.0.1\", port=\"1\") (/) is not available: not now; going on with the primary (IGNORE)" "$T/flacd.log"; then
	ok "rpc (unreachable): ENOTCONN with FAIL, the primary with IGNORE; flacd names the service"
else
	ko "rpc: $(tr '\n' '|' <"$T/r1.out") $(tr '\n' '|' <"$T/r2.out")"
fi
python3 - "$FLACD_SOCKET" <<'PY'
import os, socket, struct, sys
for payload in (os.urandom(64), struct.pack(">IH", 8, 100) + b"FLCD\x00\x07\x00\x00",
                struct.pack(">IH", 8, 100) + b"FLCD\x00\x01\x00\x00" + struct.pack(">IH", 3, 200) + b"abc"):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(payload)
    s.settimeout(5)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()
PY
if kill -0 "$flacd_pid" 2>/dev/null && "$FLACD" -l -s "$FLACD_SOCKET" | grep -q "instance 1 rpc(host=\"127.0.0.1\", port=\"1\") rpc"; then
	ok "garbage, a wrong version and a malformed request close that client only; one instance per primitive"
else
	ko "flacd after bad clients: $(tail -3 "$T/flacd.log" | tr '\n' '|')"
fi

# ---- started on demand, idle exit ----------------------------------------------------
export FLACD_SOCKET=$T/od.sock FLACD_IDLE=2
timeout 30 "$FLAC" -f "$T/rpcign.flac" -- cat /data/b >"$T/od.out" 2>&1
odpid=$("$FLACD" -l -s "$FLACD_SOCKET" 2>/dev/null | sed -n 's/^flacd \([0-9]*\):.*/\1/p')
if grep -q "^back, and newer$" "$T/od.out" && [ -n "$odpid" ]; then
	ok "flac -f starts flacd for a spec with a service that is not local()"
	lib__record_pid "$odpid"
	for _ in $(seq 1 80); do kill -0 "$odpid" 2>/dev/null || break; sleep 0.1; done
	if ! kill -0 "$odpid" 2>/dev/null && [ ! -e "$FLACD_SOCKET" ]; then
		ok "the flacd started on demand exits when idle ($FLACD_IDLE s) and removes its socket"
	else
		ko "the flacd started on demand is still there"
	fi
else
	ko "on demand: $(tr '\n' '|' <"$T/od.out")"
fi

[ "$npass" -gt 0 ] || fail "flac-daemon: nothing was checked"
[ "$nfail" -eq 0 ] && pass "flac-daemon: $npass checks"
fail "flac-daemon: $nfail of $((npass + nfail)) checks failed"
