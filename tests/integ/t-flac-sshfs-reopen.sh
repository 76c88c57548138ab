#!/usr/bin/env bash
# t-flac-sshfs-reopen: a file held open across a move, under sshfs and
# under flac, against the same server.  "srv" runs sshd (key login,
# OpenSSH's sftp-server); on "lap" a python3 program opens an 8 MiB file,
# reads 100000 bytes, and at the test's word reads 4 MiB more (past what
# the kernel read ahead; SHA-256 of all it read), then opens the file anew
# and reads from it (that open timed).  Moves, each with a fresh mount or
# name space:
#   link     lap's link down for 6 s (twice the keepalive bound), then up
#   lapaddr  lap renumbered (addr_change: the laptop on another network)
#   srvaddr  srv renumbered (the server moved; its old address is gone)
# The program runs
#   - on sshfs 3.7 (mounted in the mount namespace `ip netns exec` gives
#     it) with -o ServerAliveInterval=1,ServerAliveCountMax=3, and with
#     reconnect added: the held read must NOT give the right bytes (what
#     it gives, an errno, or no answer within 12 s, is printed and goes to
#     docs/design/flac.md, "Reopen")
#   - under flac -f with transfer(cache, sftp(srv), pull, IGNORE, NONE)
#     through flacd: the held read must give the right bytes (SHA-256),
#     and the new open must succeed (IGNORE: the cache's copy; after a
#     renumbering flacd's connection times out first, the time is printed)
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
. tests/lib-peers.sh
lib_init flac-sshfs-reopen
need_root
need_cmd /usr/sbin/sshd ssh-keygen sshfs /usr/bin/python3
[ -e /dev/fuse ] || skip "no /dev/fuse"
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

host_add srv
host_add lap
peer_sshd srv 2222 >/dev/null || fail "sshd did not start"
R=$T/served
mkdir -p "$R"
head -c 8388608 /dev/urandom >"$R/held.bin"
head -c 4294304 "$R/held.bin" >"$T/want-read"

cat >"$T/reader.py" <<'PY'
import errno, hashlib, os, sys, time
path, ctl = sys.argv[1], sys.argv[2]
def say(*a): print(*a, flush=True)
def rd(fd, n):
    t = time.monotonic()
    try:
        b = os.read(fd, n)
        r = "ok%d" % len(b)
    except OSError as e:
        b, r = b"", "err-" + errno.errorcode.get(e.errno, str(e.errno))
    return b, r, int((time.monotonic() - t) * 1000)
h = hashlib.sha256()
fd = os.open(path, os.O_RDONLY)
b, r, ms = rd(fd, 100000)
h.update(b)
say("ready", r)
end = time.monotonic() + 60
while not os.path.exists(ctl + "/go") and time.monotonic() < end:
    time.sleep(0.05)
# 4 MiB more, far past what the kernel read ahead: from the server
t, r = time.monotonic(), "ok0"
for _ in range(64):
    b, r, ms = rd(fd, 65536)
    if not r.startswith("ok"):
        break
    h.update(b)
say("held", r, int((time.monotonic() - t) * 1000), h.hexdigest())
# a new open of the file (its time counts)
t = time.monotonic()
try:
    fd2 = os.open(path, os.O_RDONLY)
    b, r, ms = rd(fd2, 65536)
except OSError as e:
    r = "err-" + errno.errorcode.get(e.errno, str(e.errno))
say("reopen", r, int((time.monotonic() - t) * 1000))
PY
cat >"$T/mount-run.sh" <<'SH'
#!/bin/sh
# mount-run.sh DIR SRV OPTS: sshfs in the foreground, then the reader
dir=$1 srv=$2 opts=$3 T=$4
mkdir -p "$dir/mnt"
sshfs -f -p 2222 -o "IdentityFile=$T/id_peer,UserKnownHostsFile=$T/known_hosts,StrictHostKeyChecking=yes,BatchMode=yes,$opts" \
    "root@$srv:$T/served" "$dir/mnt" 2>"$dir/sshfs.err" &
echo $! >"$dir/sshfs.pid"
i=0
until [ -e "$dir/mnt/held.bin" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "no mount"; exit 1; }
	sleep 0.05
done
exec /usr/bin/python3 "$T/reader.py" "$dir/mnt/held.bin" "$dir"
SH
chmod +x "$T/mount-run.sh"

# await FILE REGEX SECONDS: prints the first line of FILE matching REGEX
await() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -m1 -E "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
for f in "$FLAC" "$FLACD"; do
	[ -x "$f" ] || fail "build first ($f)"
done
export FLACD_SOCKET=$T/flacd.sock
host_bg lap "$T/flacd.log" env FLACD_SOCKET="$FLACD_SOCKET" \
    FLAC_SFTP_IDENTITY="$T/id_peer" FLAC_SFTP_KNOWN_HOSTS="$T/known_hosts" \
    HOME="$T" "$FLACD" -F -s "$FLACD_SOCKET" -v >/dev/null
for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
[ -S "$FLACD_SOCKET" ] || fail "flacd does not listen: $(cat "$T/flacd.log")"

# one NAME FAULT sshfs OPTS | one NAME FAULT flac: the reader on lap
# through sshfs mounted with OPTS, or under flac with a transfer from the
# same server by sftp; FAULT (link, lapaddr, srvaddr) between its two
# reads.  Records and prints what the held read and the new open gave.
one() {
	local name=$1 fault=$2 how=$3 opts=${4:-} d=$T/$1 pid held reopen t0 srv
	t0=$(lib_now_ms)
	srv=$(host_ip srv)
	mkdir -p "$d"
	echo "[$srv]:2222 $(cut -d' ' -f1,2 "$T/sshd-srv-2222/hostkey.pub")" >"$T/known_hosts"
	if [ "$how" = sshfs ]; then
		host_bg lap "$d/run.log" "$T/mount-run.sh" "$d" "$srv" "$opts" "$T" >/dev/null
	else
		mkdir -p "$d/cache"
		printf 'root overlay(extendtree(transfer(subtree(local(), %s), sftp(host="%s", user="root", port=2222, path="%s"), pull, IGNORE, NONE), /data), local())\n' \
		    "$d/cache" "$srv" "$R" >"$d/spec.flac"
		host_bg lap "$d/run.log" "$FLAC" -f "$d/spec.flac" -d -- \
		    /usr/bin/python3 "$T/reader.py" /data/held.bin "$d" >/dev/null
	fi
	pid=$LIB_BG_PID
	await "$d/run.log" '^ready ok100000' 10 >/dev/null ||
		fail "$name: the reader did not start: $(cat "$d/run.log" "$d/sshfs.err" 2>/dev/null)"
	case $fault in
	link)
		link_down lap
		lib_sleep 6
		link_up lap
		;;
	lapaddr)
		addr_change lap >/dev/null
		;;
	srvaddr)
		addr_change srv >/dev/null
		;;
	esac
	touch "$d/go"
	held=$(await "$d/run.log" '^held ' 12) || held="held: no answer within 12 s (hang)"
	reopen=$(await "$d/run.log" '^reopen ' 10) || reopen="reopen: no answer within 10 s (hang)"
	if [ "$how" = sshfs ]; then
		[[ $held == held\ ok65536\ *\ "$(sha "$T/want-read")" ]] &&
			fail "$name: sshfs read the held file on with the right bytes: $held"
		# the mount goes with sshfs (its own mount namespace), the
		# reader's calls with it
		[ -s "$d/sshfs.pid" ] && kill -KILL "$(cat "$d/sshfs.pid")" 2>/dev/null
		how="sshfs -o $opts"
	else
		[[ $held == held\ ok65536\ *\ "$(sha "$T/want-read")" ]] ||
			fail "$name: under flac the held file did not read on: $held"
		[[ $reopen == "reopen ok65536 "* ]] ||
			fail "$name: under flac the file did not open again: $reopen"
		how="flac, transfer(cache, sftp, pull, IGNORE, NONE)"
	fi
	wait_pid "$pid" 5 >/dev/null 2>&1 || stop_pid "$pid" >/dev/null
	lib_note "$name: $how; $fault: ${held% *} | $reopen ($(($(lib_now_ms) - t0)) ms)"
	echo "$name | $how | ${held% *} | $reopen" >>"$T/results"
}

ALIVE=ServerAliveInterval=1,ServerAliveCountMax=3
for f in link lapaddr srvaddr; do
	one "$f-sshfs" "$f" sshfs "$ALIVE"
	one "$f-sshfs-reconnect" "$f" sshfs "$ALIVE,reconnect"
	one "$f-flac" "$f" flac
done
pass "a held file across a move: sshfs never reads on (EIO, ECONNABORTED, ENOTCONN or a hang); flac reads on with the same bytes"
