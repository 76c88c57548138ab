#!/usr/bin/env bash
# t-flac-rpc: the rpc service (flacd's client, flac-rpcd the server) on two
# test hosts: "srv" serves a tree with flac-rpcd under rock; "lap" runs
# flacd and programs under `flac -f -d` with a transfer whose secondary is
# rpc(host=srv).
#   - pull on open: a 1 MiB file and a nested one read through the name
#     space arrive byte-exact (SHA-256 against the server's copies)
#   - push on close: files written by a shell and by cp reach the server
#   - the link down: FAIL fails the open (ENOTCONN), IGNORE goes on with the
#     primary; link up: the next push arrives
#   - disconnected operation: with pushpull IGNORE IGNORE, files written
#     while the link is down wait in flacd's journal; flacd is killed
#     (SIGKILL) and started again; when the link returns every update
#     reaches the server (its final contents), and the time it took is noted;
#     meanwhile `flac session export` refuses (pushes pending), after it works
#   - the server: a wrong key is refused (and logged), paths escaping the
#     tree (.., an absolute symlink, a symlink to ../..) are refused with
#     EXDEV, a file beside them still reads; garbage after the login closes
#     that connection only, and the server keeps serving
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-rpc
need_root
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
RPCD=$PWD/$O/bin/flac-rpcd
ROCK=$PWD/$O/bin/rock
PROBE=$PWD/$O/tests/helpers/flac-rpc-probe
for f in "$FLAC" "$FLACD" "$RPCD" "$ROCK" "$PROBE"; do
	[ -x "$f" ] || fail "build first ($f)"
done
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

host_add srv
host_add lap
SRV=$(host_ip srv)
K=$T/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K"
chmod 600 "$K"
R=$T/served
mkdir -p "$R/home/docs" "$T/outside"
head -c 1048576 /dev/urandom >"$R/home/big"
echo "nested on the server" >"$R/home/docs/note"
echo "secret outside the tree" >"$T/outside/secret"
ln -s /etc/passwd "$R/home/abs-link"
ln -s ../../outside/secret "$R/home/up-link"

host_bg srv "$T/rpcd.log" "$ROCK" "$RPCD" -F --root "$R" --key "$K" \
    --listen 0.0.0.0:7410 >/dev/null
wait_listen srv 7410 10 || fail "flac-rpcd does not listen: $(cat "$T/rpcd.log")"

P=$T/pri
mkdir -p "$P"
spec() {	# spec NAME PULLMOD PUSHMOD
	printf 'root overlay(extendtree(transfer(subtree(local(), %s), rpc(host="%s", port=7410, path="/home"), pushpull, %s, %s), /data), local())\n' \
	    "$P" "$SRV" "$2" "$3" >"$T/$1.flac"
}
spec fail FAIL FAIL
spec ignore IGNORE IGNORE
export FLACD_SOCKET=$T/flacd.sock FLAC_RPC_KEY=$K
start_flacd() {	# start_flacd LOG
	rm -f "$FLACD_SOCKET"
	host_bg lap "$1" env FLACD_SOCKET="$FLACD_SOCKET" \
	    FLAC_RPC_KEY="$K" "$FLACD" -F -s "$FLACD_SOCKET" -v >/dev/null
	FLACD_PID=$LIB_BG_PID
	for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
	[ -S "$FLACD_SOCKET" ] || fail "flacd does not listen: $(cat "$1")"
}
start_flacd "$T/flacd.log"
run() {	# run OUT SPEC CMD...: in lap, under flac -d; output and rc in OUT
	local out=$1 s=$2
	shift 2
	hexec lap timeout 60 "$FLAC" -f "$T/$s.flac" -d -- "$@" >"$out" 2>&1
	echo "rc=$?" >>"$out"
}

# ---- pull on open ------------------------------------------------------------
run "$T/o1" fail sh -c "cat /data/big >$T/got-big; cat /data/docs/note"
grep -q '^rc=0' "$T/o1" || fail "reading through rpc: $(cat "$T/o1")"
[ "$(sha "$T/got-big")" = "$(sha "$R/home/big")" ] ||
	fail "the 1 MiB file pulled through rpc differs"
grep -q 'nested on the server' "$T/o1" || fail "nested file: $(cat "$T/o1")"
[ "$(sha "$P/big")" = "$(sha "$R/home/big")" ] ||
	fail "the pulled copy on the primary differs"
lib_note "ok: pull on open, byte-exact"

# ---- push on close -----------------------------------------------------------
head -c 300000 /dev/urandom >"$T/src"
run "$T/o2" fail sh -c "cp $T/src /data/pushed; echo written >/data/docs/new"
grep -q '^rc=0' "$T/o2" || fail "writing through rpc: $(cat "$T/o2")"
[ "$(sha "$R/home/pushed")" = "$(sha "$T/src")" ] ||
	fail "cp's file did not reach the server intact"
[ "$(cat "$R/home/docs/new" 2>/dev/null)" = written ] ||
	fail "the shell's file did not reach the server"
lib_note "ok: push on close, byte-exact"

# ---- the link down: FAIL and IGNORE --------------------------------------------
echo "changed on the server" >"$R/home/docs/note"
touch -d '+1 hour' "$R/home/docs/note"
link_down lap
run "$T/o3" fail cat /data/docs/note
grep -q 'Transport endpoint is not connected\|not connected' "$T/o3" ||
	fail "FAIL with the server away: $(cat "$T/o3")"
run "$T/o4" ignore cat /data/docs/note
grep -q 'nested on the server' "$T/o4" && grep -q '^rc=0' "$T/o4" ||
	fail "IGNORE with the server away should read the primary's copy: $(cat "$T/o4")"
link_up lap
run "$T/o5" fail sh -c "cat /data/docs/note; echo after >/data/after"
grep -q 'changed on the server' "$T/o5" || fail "after the link returned: $(cat "$T/o5")"
[ "$(cat "$R/home/after" 2>/dev/null)" = after ] || fail "push after the link returned"
lib_note "ok: FAIL and IGNORE while the server is away, then back"

# ---- disconnected operation: the journal survives flacd's death ----------------
link_down lap
run "$T/o6" ignore sh -c "echo one >/data/j1; echo draft >/data/docs/j2; echo final >/data/docs/j2; head -c 200000 /dev/urandom >/data/j3"
grep -q '^rc=0' "$T/o6" || fail "writing while away (IGNORE): $(cat "$T/o6")"
n=$(find "$FLACD_SOCKET.journal" -name '*.push' | wc -l)
[ "$n" = 3 ] || fail "the journal holds $n entries, 3 expected: $(ls -la "$FLACD_SOCKET.journal")"
[ -e "$R/home/j1" ] && fail "j1 reached the server while the link was down"
kill -9 "$FLACD_PID" 2>/dev/null
wait_pid "$FLACD_PID" 5 >/dev/null 2>&1 || true
start_flacd "$T/flacd2.log"
# a move now would leave the updates behind (5.1.5): export refuses
host_bg lap "$T/holder.log" env FLACD_SOCKET="$FLACD_SOCKET" "$FLAC" \
    -f "$T/ignore.flac" -d -- python3 -c \
    'import time; f = open("/data/j1"); print("open", flush=True); time.sleep(60)' >/dev/null
holder=$LIB_BG_PID
for _ in $(seq 1 50); do grep -q open "$T/holder.log" && break; sleep 0.1; done
rc=0
"$FLAC" session export "$holder" "$T/sess.img" >"$T/export1.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q 'still wait.*journal.*not exported' "$T/export1.out" ||
	fail "export with pushes pending: rc $rc: $(cat "$T/export1.out")"
[ -e "$T/sess.img" ] && fail "a refused export wrote its image"
t0=$(lib_now_ms)
link_up lap
for _ in $(seq 1 100); do
	[ "$(cat "$R/home/docs/j2" 2>/dev/null)" = final ] &&
	    [ "$(sha "$R/home/j3")" = "$(sha "$P/j3")" ] &&
	    [ "$(cat "$R/home/j1" 2>/dev/null)" = one ] && break
	sleep 0.1
done
t1=$(lib_now_ms)
[ "$(cat "$R/home/j1" 2>/dev/null)" = one ] &&
    [ "$(cat "$R/home/docs/j2" 2>/dev/null)" = final ] &&
    [ "$(sha "$R/home/j3")" = "$(sha "$P/j3")" ] ||
	fail "after flacd's restart and the link's return, not every update arrived: $(ls -la "$R/home" "$R/home/docs"; tail -5 "$T/flacd2.log")"
n=$(find "$FLACD_SOCKET.journal" -name '*.push' | wc -l)
[ "$n" = 0 ] || fail "$n entries left in the journal"
lib_note "ok: 3 updates made while away survived flacd's SIGKILL and reached the server $((t1 - t0)) ms after the link returned"
"$FLAC" session export "$holder" "$T/sess.img" >"$T/export2.out" 2>&1 ||
	fail "export once the pushes are home: $(cat "$T/export2.out")"
stop_pid "$holder" || true
lib_note "ok: the I/O session is not exported while pushes wait (5.1.5), and is once they are home"

# ---- the server's defences ----------------------------------------------------
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/wrong"
rc=0
hexec lap "$PROBE" "$SRV" 7410 "$T/wrong" login >"$T/p1" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a wrong key: exit $rc: $(cat "$T/p1")"
grep -q 'refused: authentication failed' "$T/rpcd.log" ||
	fail "the refusal is not logged: $(tail -3 "$T/rpcd.log")"
for p in /home/../../outside/secret /home/abs-link /home/up-link; do
	hexec lap "$PROBE" "$SRV" 7410 "$K" read "$p" >"$T/p2" 2>&1 ||
		fail "probe read $p: $(cat "$T/p2")"
	grep -q "^status -18$" "$T/p2" || fail "$p was not refused with EXDEV: $(cat "$T/p2")"
	grep -q secret "$T/p2" && fail "$p leaked the file outside the tree"
done
hexec lap "$PROBE" "$SRV" 7410 "$K" read /home/docs/new >"$T/p3" 2>/dev/null ||
	fail "a good path after the escapes"
[ "$(cat "$T/p3")" = written ] || fail "reading a good path: $(cat "$T/p3")"
hexec lap "$PROBE" "$SRV" 7410 "$K" garbage >"$T/p4" 2>&1 ||
	fail "garbage: $(cat "$T/p4")"
grep -q closed "$T/p4" || fail "garbage did not close the connection"
hexec lap "$PROBE" "$SRV" 7410 "$K" stat /home/big >"$T/p5" 2>&1 ||
	fail "the server stopped serving after garbage: $(cat "$T/p5")"
grep -q 'size 1048576' "$T/p5" || fail "stat after garbage: $(cat "$T/p5")"
pass "rpc: pull and push byte-exact, FAIL/IGNORE while away, wrong keys, escapes and garbage refused"
