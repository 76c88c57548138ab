#!/usr/bin/env bash
# t-flac-sftp: the sftp service (flacd over libssh) against OpenSSH's
# sftp-server on another test host: "srv" runs sshd (key login only),
# "lap" runs flacd and programs under `flac -f -d` with a transfer whose
# secondary is sftp(host=srv, user=root, port=2222, path=the served tree).
#   - pull on open: a 1 MiB file and a nested one, byte-exact
#   - push on close: cp and a shell redirection reach the server
#   - the link down: FAIL fails the open (ENOTCONN), IGNORE goes on with
#     the primary (the offline cache of 5.1.5), its push waits in flacd's
#     journal; back up: the journalled push and the next one arrive
#   - a server whose host key is not the known one is refused (logged),
#     and nothing is pulled from it
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
. tests/lib-peers.sh
lib_init flac-sftp
need_root
need_cmd /usr/sbin/sshd ssh-keygen
[ -x /usr/lib/openssh/sftp-server ] || skip "no /usr/lib/openssh/sftp-server"
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
for f in "$FLAC" "$FLACD"; do
	[ -x "$f" ] || fail "build first ($f)"
done
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

host_add srv
host_add lap
SRV=$(host_ip srv)
peer_sshd srv 2222 >/dev/null || fail "sshd did not start"
echo "[$SRV]:2222 $(cut -d' ' -f1,2 "$T/sshd-srv-2222/hostkey.pub")" >"$T/known_hosts"
R=$T/served
mkdir -p "$R/docs"
head -c 1048576 /dev/urandom >"$R/big"
echo "nested on the server" >"$R/docs/note"

P=$T/pri
mkdir -p "$P"
spec() {	# spec NAME PULLMOD PUSHMOD [PORT]
	printf 'root overlay(extendtree(transfer(subtree(local(), %s), sftp(host="%s", user="root", port=%s, path="%s"), pushpull, %s, %s), /data), local())\n' \
	    "$P" "$SRV" "${4:-2222}" "$R" "$2" "$3" >"$T/$1.flac"
}
spec fail FAIL FAIL
spec ignore IGNORE IGNORE
start_flacd() {	# start_flacd SOCKET KNOWN_HOSTS LOG
	host_bg lap "$3" env FLACD_SOCKET="$1" FLAC_SFTP_IDENTITY="$T/id_peer" \
	    FLAC_SFTP_KNOWN_HOSTS="$2" HOME="$T" "$FLACD" -F -s "$1" -v >/dev/null
	for _ in $(seq 1 50); do [ -S "$1" ] && break; sleep 0.1; done
	[ -S "$1" ] || fail "flacd does not listen: $(cat "$3")"
}
start_flacd "$T/flacd.sock" "$T/known_hosts" "$T/flacd.log"
run() {	# run OUT SPEC [SOCKET] -- CMD...: in lap, under flac -d
	local out=$1 s=$2 sock=$T/flacd.sock
	shift 2
	if [ "$1" != -- ]; then sock=$1; shift; fi
	shift
	hexec lap env FLACD_SOCKET="$sock" timeout 60 "$FLAC" -f "$T/$s.flac" \
	    -d -- "$@" >"$out" 2>&1
	echo "rc=$?" >>"$out"
}

run "$T/o1" fail -- sh -c "cat /data/big >$T/got-big; cat /data/docs/note"
grep -q '^rc=0' "$T/o1" || fail "reading through sftp: $(cat "$T/o1")"
[ "$(sha "$T/got-big")" = "$(sha "$R/big")" ] || fail "the 1 MiB file pulled through sftp differs"
grep -q 'nested on the server' "$T/o1" || fail "nested file: $(cat "$T/o1")"
lib_note "ok: pull on open, byte-exact"

head -c 300000 /dev/urandom >"$T/src"
run "$T/o2" fail -- sh -c "cp $T/src /data/pushed; echo written >/data/docs/new"
grep -q '^rc=0' "$T/o2" || fail "writing through sftp: $(cat "$T/o2")"
[ "$(sha "$R/pushed")" = "$(sha "$T/src")" ] || fail "cp's file did not reach the server intact"
[ "$(cat "$R/docs/new" 2>/dev/null)" = written ] || fail "the shell's file did not reach the server"
lib_note "ok: push on close, byte-exact"

echo "changed on the server" >"$R/docs/note"
touch -d '+1 hour' "$R/docs/note"
link_down lap
run "$T/o3" fail -- cat /data/docs/note
grep -q 'not connected' "$T/o3" || fail "FAIL with the server away: $(cat "$T/o3")"
run "$T/o4" ignore -- sh -c 'cat /data/docs/note; echo offline >/data/docs/offline'
grep -q 'nested on the server' "$T/o4" && grep -q '^rc=0' "$T/o4" ||
	fail "IGNORE (the offline cache) should read the primary's copy: $(cat "$T/o4")"
[ "$(cat "$P/docs/offline" 2>/dev/null)" = offline ] || fail "offline write"
[ -e "$R/docs/offline" ] && fail "the offline file reached the server while the link was down"
t0=$(lib_now_ms)
link_up lap
for _ in $(seq 1 100); do
	[ "$(cat "$R/docs/offline" 2>/dev/null)" = offline ] && break
	sleep 0.1
done
[ "$(cat "$R/docs/offline" 2>/dev/null)" = offline ] ||
	fail "the push made offline (journal) did not reach the server after the link returned"
lib_note "ok: the offline push arrived $(($(lib_now_ms) - t0)) ms after the link returned"
run "$T/o5" fail -- sh -c "cat /data/docs/note; echo after >/data/after"
grep -q 'changed on the server' "$T/o5" || fail "after the link returned: $(cat "$T/o5")"
[ "$(cat "$R/after" 2>/dev/null)" = after ] || fail "push after the link returned"
lib_note "ok: FAIL and IGNORE while the server is away, then back"

# a server that is not the one in known_hosts
ssh-keygen -q -t ed25519 -N '' -f "$T/other" >/dev/null </dev/null
echo "[$SRV]:2222 $(cut -d' ' -f1,2 "$T/other.pub")" >"$T/known_wrong"
start_flacd "$T/flacd2.sock" "$T/known_wrong" "$T/flacd2.log"
echo "must not come" >"$R/docs/spoof"
run "$T/o6" fail "$T/flacd2.sock" -- cat /data/docs/spoof
grep -q 'must not come' "$T/o6" && fail "a server with an unknown host key was trusted"
grep -q "host key is CHANGED\|host key is unknown\|host key is of another type" "$T/flacd2.log" ||
	fail "the refused host key is not logged: $(tail -3 "$T/flacd2.log")"
pass "sftp: pull and push byte-exact, FAIL/IGNORE (offline cache) while away, an unknown host key refused"
