#!/usr/bin/env bash
# Demo of flac's remote services and disconnected operation (section 5.1.5
# and figure 5.10 in small): a "home" host serves a tree with flac-rpcd
# (under rock); a "laptop" runs an editor-like program under flac with
# transfer(local cache, rpc(home), pushpull, IGNORE, IGNORE): it reads a
# file from home, its link goes down, it writes while disconnected (the
# pushes wait in flacd's journal), flacd is killed and started again, the
# link comes back, and the updates arrive at home by themselves.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init demo-flacremote
need_root
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
RPCD=$PWD/$O/bin/flac-rpcd
ROCK=$PWD/$O/bin/rock
for f in "$FLAC" "$FLACD" "$RPCD" "$ROCK"; do
	[ -x "$f" ] || fail "build first ($f)"
done

host_add home
host_add laptop
H=$(host_ip home)
K=$T/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K"
chmod 600 "$K"
mkdir -p "$T/home/notes" "$T/cache"
echo "shopping: bread" >"$T/home/notes/todo.txt"
host_bg home "$T/rpcd.log" "$ROCK" "$RPCD" -F --root "$T/home" --key "$K" \
    --listen 0.0.0.0:7410 >/dev/null
wait_listen home 7410 10 || fail "flac-rpcd did not start"
cat >"$T/laptop.flac" <<EOF2
home = rpc(host="$H", path="/notes")
root overlay(extendtree(transfer(subtree(local(), $T/cache), home, pushpull, IGNORE, IGNORE), /notes), local())
EOF2
export FLACD_SOCKET=$T/flacd.sock FLAC_RPC_KEY=$K
start_flacd() {
	rm -f "$FLACD_SOCKET"
	host_bg laptop "$T/flacd.log" env FLACD_SOCKET="$FLACD_SOCKET" \
	    FLAC_RPC_KEY="$K" "$FLACD" -F -s "$FLACD_SOCKET" >/dev/null
	FLACD_PID=$LIB_BG_PID
	for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
}
on_laptop() {
	hexec laptop env FLACD_SOCKET="$FLACD_SOCKET" "$FLAC" -f "$T/laptop.flac" \
	    -d -- sh -c "$1"
}
start_flacd

echo
echo "evict demo: flac's remote services, disconnected"
echo "home $H serves $T/home with flac-rpcd; the laptop's name space:"
sed 's/^/    /' "$T/laptop.flac"
echo
echo "* on the laptop, reading /notes/todo.txt (pulled from home):"
on_laptop 'cat /notes/todo.txt' | sed 's/^/    /'
echo "* the laptop's link goes down; it edits and writes while away:"
link_down laptop
on_laptop 'echo "shopping: bread, milk" >/notes/todo.txt; echo "call Ann" >/notes/new.txt' ||
	fail "writing while away"
echo "    pushes waiting in flacd's journal: $(find "$FLACD_SOCKET.journal" -name '*.push' | wc -l)"
echo "    at home, todo.txt still says: $(cat "$T/home/notes/todo.txt")"
echo "* flacd is killed (SIGKILL) and started again; the link comes back"
kill -9 "$FLACD_PID" 2>/dev/null
wait_pid "$FLACD_PID" 5 >/dev/null 2>&1 || true
start_flacd
t0=$(lib_now_ms)
link_up laptop
for _ in $(seq 1 100); do
	[ -e "$T/home/notes/new.txt" ] &&
	    grep -q milk "$T/home/notes/todo.txt" 2>/dev/null && break
	sleep 0.1
done
t1=$(lib_now_ms)
grep -q milk "$T/home/notes/todo.txt" && [ -e "$T/home/notes/new.txt" ] ||
	fail "the updates did not reach home"
echo "    $((t1 - t0)) ms later, at home:"
for f in todo.txt new.txt; do
	echo "      $f: $(cat "$T/home/notes/$f")"
done
pass "demo-flacremote: the updates made while disconnected reached home"
