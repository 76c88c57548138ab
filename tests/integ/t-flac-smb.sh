#!/usr/bin/env bash
# t-flac-smb: the smb service (flacd over libsmbclient) against Samba's
# smbd on another test host: "srv" runs smbd with the test's own smb.conf
# (its private, lock, state, cache and pid directories, passdb and log in
# $T; nothing of the system's Samba is used), sharing a directory of $T as
# "share" to one user with a password; "lap" runs flacd with the user's
# credentials file ($FLAC_SMB_CREDENTIALS, 0600) and programs under
# `flac -f -d` with a transfer whose secondary is smb(share="\\SRV\share").
#   - pull on open: a 1 MiB file and a nested one, byte-exact
#   - push on close: cp and a shell redirection reach the server, also
#     over an existing file and under a name with a space, %, # and UTF-8
#   - the link down: FAIL fails the open (ENOTCONN), IGNORE goes on with
#     the primary and the push waits in flacd's journal; the link up: the
#     journalled push reaches the server (the delay is noted)
#   - every operation of the service (flac-svc-probe): mkdir, put (pwrite
#     in pieces, fsync, close), stat, readdir, rename over an existing
#     file, setattr (times), get (pread), unlink, rmdir, and the errnos of
#     a missing file and of a directory that is not empty
#   - a wrong password is refused (and logged), nothing is pulled; a
#     credentials file readable by others is not used (and that is logged)
#   - packets dropped under a connected flacd: ENOTCONN within the
#     service's timeout, then back
#   - the server killed under a connected flacd: FAIL gives ENOTCONN, IGNORE
#     the primary's copy, and flacd goes on
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-smb
need_root
SMBD=/usr/sbin/smbd
[ -x "$SMBD" ] || skip "no $SMBD (apt-get install samba)"
need_cmd smbpasswd
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
PROBE=$PWD/$O/tests/helpers/flac-svc-probe
for f in "$FLAC" "$FLACD" "$PROBE"; do
	[ -x "$f" ] || fail "build first ($f)"
done
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

host_add srv
host_add lap
SRV=$(host_ip srv)
R=$T/served
S=$T/samba
mkdir -p "$R/docs" "$S/private" "$S/lock" "$S/state" "$S/cache" "$S/pid" \
    "$S/ncalrpc" "$S/bind-dns"
chmod 700 "$S/private"
head -c 1048576 /dev/urandom >"$R/big"
echo "nested on the server" >"$R/docs/note"
cat >"$T/smb.conf" <<EOF
[global]
	server role = standalone server
	workgroup = EVICTTEST
	netbios name = FLACSRV
	disable netbios = yes
	smb ports = 445
	server min protocol = SMB2
	private dir = $S/private
	lock directory = $S/lock
	state directory = $S/state
	cache directory = $S/cache
	pid directory = $S/pid
	ncalrpc dir = $S/ncalrpc
	binddns dir = $S/bind-dns
	passdb backend = tdbsam:$S/private/passdb.tdb
	log file = $S/log.smbd
	log level = 1
	map to guest = Never
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
	usershare max shares = 0
[share]
	path = $R
	read only = no
	valid users = root
	create mask = 0644
EOF
PW=flac-$RANDOM-$RANDOM
printf '%s\n%s\n' "$PW" "$PW" | smbpasswd -c "$T/smb.conf" -a -s root >"$T/smbpasswd.out" 2>&1 ||
	fail "smbpasswd: $(cat "$T/smbpasswd.out")"
# its own process group (setsid): smbd signals its group when it ends
host_bg srv "$T/smbd.out" setsid "$SMBD" --foreground --no-process-group \
    -l "$S" -s "$T/smb.conf" >/dev/null
SMBD_PID=$LIB_BG_PID
wait_listen srv 445 10 || fail "smbd does not listen: $(cat "$T/smbd.out" "$S/log.smbd" 2>/dev/null | tail -5)"

umask 077
printf 'username = root\npassword = %s\ndomain = EVICTTEST\n' "$PW" >"$T/cred"
printf 'username = root\npassword = not-%s\n' "$PW" >"$T/cred-wrong"
umask 022
cp "$T/cred" "$T/cred-open"
chmod 644 "$T/cred-open"
P=$T/pri
mkdir -p "$P"
printf 'root overlay(extendtree(transfer(subtree(local(), %s), smb(share="\\\\%s\\share"), pushpull, FAIL, FAIL), /data), local())\n' \
    "$P" "$SRV" >"$T/fail.flac"
printf 'root overlay(extendtree(transfer(subtree(local(), %s), smb(share="\\\\%s\\share"), pushpull, IGNORE, IGNORE), /data), local())\n' \
    "$P" "$SRV" >"$T/ignore.flac"
start_flacd() {	# start_flacd SOCKET CREDENTIALS LOG
	host_bg lap "$3" env FLACD_SOCKET="$1" FLAC_SMB_CREDENTIALS="$2" \
	    HOME="$T" "$FLACD" -F -s "$1" -v >/dev/null
	FLACD_PID=$LIB_BG_PID
	for _ in $(seq 1 50); do [ -S "$1" ] && break; sleep 0.1; done
	[ -S "$1" ] || fail "flacd does not listen: $(cat "$3")"
}
start_flacd "$T/flacd.sock" "$T/cred" "$T/flacd.log"
FLACD1_PID=$FLACD_PID
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
grep -q '^rc=0' "$T/o1" || fail "reading through smb: $(cat "$T/o1"; tail -5 "$T/flacd.log")"
[ "$(sha "$T/got-big")" = "$(sha "$R/big")" ] || fail "the 1 MiB file pulled through smb differs"
grep -q 'nested on the server' "$T/o1" || fail "nested file: $(cat "$T/o1")"
lib_note "ok: pull on open, byte-exact"

head -c 300000 /dev/urandom >"$T/src"
run "$T/o2" fail -- sh -c "cp $T/src /data/pushed; echo written >/data/docs/new; echo odd >'/data/docs/a b%20#é.txt'"
grep -q '^rc=0' "$T/o2" || fail "writing through smb: $(cat "$T/o2"; tail -5 "$T/flacd.log")"
[ "$(cat "$R/docs/a b%20#é.txt" 2>/dev/null)" = odd ] || fail "a name with a space, %, # and UTF-8: $(ls "$R/docs")"
[ "$(sha "$R/pushed")" = "$(sha "$T/src")" ] || fail "cp's file did not reach the server intact"
[ "$(cat "$R/docs/new" 2>/dev/null)" = written ] || fail "the shell's file did not reach the server"
run "$T/o2b" fail -- sh -c "echo rewritten >/data/docs/new"
[ "$(cat "$R/docs/new" 2>/dev/null)" = rewritten ] || fail "a push over an existing file: $(cat "$T/o2b")"
lib_note "ok: push on close, byte-exact, over an existing file too"

# ---- every operation, directly ------------------------------------------------
head -c 250000 /dev/urandom >"$T/p-src"
echo old >"$T/p-old"
hexec lap env FLAC_SMB_CREDENTIALS="$T/cred" HOME="$T" "$PROBE" \
    "smb(share=\"\\\\$SRV\\share\")" avail mkdir /pd mkdir /pd/sub \
    put /pd/f "$T/p-src" put /pd/g "$T/p-old" stat /pd/f ls /pd \
    rename /pd/f /pd/g utime /pd/g 0644 1600000000 stat /pd/g \
    get /pd/g "$T/p-got" stat /pd/f unlink /pd/nothing rmdir /pd \
    unlink /pd/g rmdir /pd/sub rmdir /pd stat /pd >"$T/probe.out" 2>&1 ||
	fail "flac-svc-probe: $(cat "$T/probe.out")"
want="avail 1
mkdir 0
mkdir 0
put 250000
put 4
stat 0 size 250000 file mtime *
ls
  f
  g
  sub
ls 0
rename 0
utime 0
stat 0 size 250000 file mtime 1600000000
get 250000
stat -2
unlink -2
rmdir -39
unlink 0
rmdir 0
rmdir 0
stat -2"
# the first stat's mtime is the server's clock; ls names in any order
got=$(sed '0,/^stat 0 size 250000 file mtime [0-9]/s/^\(stat 0 size 250000 file mtime\) [0-9][0-9]*$/\1 */' "$T/probe.out" |
    awk '/^ls$/ { print; inls = 1; next }
	inls && /^  / { names = names $0 "\n"; next }
	inls { printf "%s", names | "sort"; close("sort"); inls = 0 }
	{ print }')
[ "$got" = "$want" ] || fail "the service's operations: $(diff <(echo "$want") <(echo "$got"))"
[ "$(sha "$T/p-got")" = "$(sha "$T/p-src")" ] || fail "put then get through the service differs"
[ -e "$R/pd" ] && fail "rmdir left $R/pd"
lib_note "ok: every operation of the service against smbd (probe)"

link_down lap
run "$T/o3" fail -- cat /data/docs/note
grep -q 'not connected' "$T/o3" || fail "FAIL with the server away: $(cat "$T/o3")"
run "$T/o4" ignore -- sh -c 'cat /data/docs/note; echo offline >/data/docs/offline'
grep -q 'nested on the server' "$T/o4" && grep -q '^rc=0' "$T/o4" ||
	fail "IGNORE should read the primary's copy: $(cat "$T/o4")"
[ "$(cat "$P/docs/offline" 2>/dev/null)" = offline ] || fail "offline write"
n=$(find "$T/flacd.sock.journal" -name '*.push' 2>/dev/null | wc -l)
[ "$n" = 1 ] || fail "the journal holds $n entries, 1 expected"
[ -e "$R/docs/offline" ] && fail "the offline file reached the server while the link was down"
t0=$(lib_now_ms)
link_up lap
for _ in $(seq 1 150); do
	[ "$(cat "$R/docs/offline" 2>/dev/null)" = offline ] && break
	sleep 0.1
done
t1=$(lib_now_ms)
[ "$(cat "$R/docs/offline" 2>/dev/null)" = offline ] ||
	fail "the journalled push did not arrive after the link returned: $(tail -5 "$T/flacd.log")"
lib_note "ok: FAIL (ENOTCONN) and IGNORE while away; the journalled push arrived $((t1 - t0)) ms after the link returned"

start_flacd "$T/flacd2.sock" "$T/cred-wrong" "$T/flacd2.log"
echo "must not come" >"$R/docs/guarded"
run "$T/o6" fail "$T/flacd2.sock" -- cat /data/docs/guarded
grep -q 'must not come' "$T/o6" && fail "a wrong password was accepted"
grep -q '^rc=0' "$T/o6" && fail "reading with a wrong password succeeded: $(cat "$T/o6")"
grep -q "the server refused user 'root'" "$T/flacd2.log" ||
	fail "the refused login is not logged: $(tail -3 "$T/flacd2.log")"
start_flacd "$T/flacd3.sock" "$T/cred-open" "$T/flacd3.log"
run "$T/o6b" fail "$T/flacd3.sock" -- cat /data/docs/guarded
grep -q 'must not come' "$T/o6b" && fail "a credentials file readable by others was used"
grep -q "credentials .*/cred-open are readable by others (chmod 600 it): not used" "$T/flacd3.log" ||
	fail "the open credentials file is not reported: $(tail -3 "$T/flacd3.log")"
lib_note "ok: a wrong password refused and logged; a credentials file readable by others not used"

run "$T/o7" fail -- cat /data/docs/note
grep -q 'nested on the server' "$T/o7" || fail "before the server goes: $(cat "$T/o7")"
# packets dropped under a connected instance: the call times out
blackhole_on srv
t0=$(lib_now_ms)
run "$T/o7b" fail -- cat /data/docs/note
t1=$(lib_now_ms)
blackhole_off srv
sleep 0.3	# past the 250 ms between two tries of the service
grep -q 'not connected' "$T/o7b" || fail "FAIL with packets dropped: $(cat "$T/o7b"; tail -3 "$T/flacd.log")"
[ $((t1 - t0)) -lt 10000 ] || fail "with packets dropped the call took $((t1 - t0)) ms"
run "$T/o7c" fail -- cat /data/docs/note
grep -q 'nested on the server' "$T/o7c" || fail "after the drop ended: $(cat "$T/o7c"; tail -3 "$T/flacd.log")"
lib_note "ok: packets dropped: ENOTCONN after $((t1 - t0)) ms, then reconnected"
kill -TERM -- -"$SMBD_PID" 2>/dev/null
wait_pid "$SMBD_PID" 5 >/dev/null 2>&1 || kill -KILL -- -"$SMBD_PID" 2>/dev/null
run "$T/o8" fail -- cat /data/docs/note
grep -q 'not connected' "$T/o8" || fail "FAIL with the server gone: $(cat "$T/o8"; tail -3 "$T/flacd.log")"
run "$T/o9" ignore -- cat /data/docs/note
grep -q 'nested on the server' "$T/o9" && grep -q '^rc=0' "$T/o9" ||
	fail "IGNORE with the server gone: $(cat "$T/o9")"
kill -0 "$FLACD1_PID" 2>/dev/null || fail "flacd did not survive the server's end: $(tail -5 "$T/flacd.log")"
pass "smb: pull and push byte-exact, FAIL/IGNORE while away, the journalled push after, a wrong password refused, the server's end survived"
