#!/usr/bin/env bash
# t-flac-session: the I/O session of a running program, exported and
# rebuilt (flac session export / import).
#   - a python3 program under a spec holds four files open (read at an
#     offset, read-write after a write, append, write-only), then waits;
#     `flac session export PID` writes its image while it runs
#   - `flac session import` rebuilds it around a new program: every file is
#     open under its descriptor number at its offset, and what it reads
#     from there has the SHA-256 of the file's tail
#   - the rebuilt program exports the same session again (session show)
#   - the same after the tree moved, under a new spec mapping the same names
#   - a truncated image, another version, a bad checksum and a path that
#     escapes the name space are refused with a message saying which
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-session
FLAC=$PWD/$O/bin/flac
[ -x "$FLAC" ] || skip "flac-session: $O/bin/flac is not built"
need_cmd /usr/bin/python3
npass=0
nfail=0
ok() { echo "PASS: flac-session: $1"; npass=$((npass + 1)); }
ko() { echo "FAIL: flac-session: $1"; nfail=$((nfail + 1)); }

mkdir -p "$T/tree1/d" "$T/tree2"
head -c 300000 /dev/urandom >"$T/tree1/d/big.bin"
seq 1 20000 >"$T/tree1/d/rw.txt"
printf 'first line\n' >"$T/tree1/d/log.txt"
printf 'spec one\n' >"$T/tree1/d/out.txt"
# the name space: /data is tree1 (then tree2)
printf 'root overlay(extendtree(subtree(local(), %s), /data), local())\n' \
    "$T/tree1" >"$T/one.flac"
printf 'root overlay(extendtree(subtree(local(), %s), /data), local())\n' \
    "$T/tree2" >"$T/two.flac"

cat >"$T/hold.py" <<'PY'
import os, sys, time
a = os.open("/data/d/big.bin", os.O_RDONLY); os.lseek(a, 123457, 0)
b = os.open("/data/d/rw.txt", os.O_RDWR); os.lseek(b, 5000, 0)
os.write(b, b"WRITTEN-HERE")
c = os.open("/data/d/log.txt", os.O_WRONLY | os.O_APPEND)
os.write(c, b"appended\n")
d = os.open("/data/d/out.txt", os.O_WRONLY); os.lseek(d, 5, 0)
print(a, b, c, d, flush=True)
open(sys.argv[1], "w").close()
time.sleep(60)
PY
cat >"$T/check.py" <<'PY'
import hashlib, os, sys
# check.py FD:OFFSET... : each fd is at OFFSET; prints the SHA-256 of what
# it reads from there (write-only fds: the offset only)
for arg in sys.argv[1:]:
    fd, want = (int(x) for x in arg.split(":"))
    pos = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        data = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        h = hashlib.sha256(data).hexdigest()
    except OSError:
        h = "unreadable"
    print(fd, pos, want, h)
PY

# ---- export from a running program -----------------------------------------
"$FLAC" -f "$T/one.flac" -- python3 "$T/hold.py" "$T/ready" >"$T/hold.out" 2>&1 &
hold=$!
lib__record_pid "$hold"
LIB_CHILDREN+=("$hold")
for _ in $(seq 1 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
[ -e "$T/ready" ] || fail "flac-session: the holder did not start: $(cat "$T/hold.out")"
read -r fa fb fc fd <"$T/hold.out"
timeout 20 "$FLAC" session export "$hold" "$T/s.img" 2>"$T/export.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "4 open files" "$T/export.err"; then
	ok "export of a running program: 4 open files"
else
	ko "export: rc=$rc $(cat "$T/export.err")"
fi
# the program goes on after the export (it was stopped and continued)
state=$(awk '{ print $3 }' "/proc/$hold/stat" 2>/dev/null)
[ "$state" = S ] && ok "the program runs on after the export" ||
	ko "the program is in state '$state' after the export"
stop_pid "$hold" >/dev/null

# expected: the tail of each file from its offset (rw.txt has the write)
tail_sha() { tail -c +$(($2 + 1)) "$1" | sha256sum | cut -d' ' -f1; }
want() {	# want TREE: the check.py lines an exact rebuild prints
	echo "$fa 123457 123457 $(tail_sha "$1/d/big.bin" 123457)"
	echo "$fb 5012 5012 $(tail_sha "$1/d/rw.txt" 5012)"
	echo "$fc $(stat -c %s "$1/d/log.txt") $(stat -c %s "$1/d/log.txt") unreadable"
	echo "$fd 5 5 unreadable"
}
args="$fa:123457 $fb:5012 $fc:$(stat -c %s "$T/tree1/d/log.txt") $fd:5"

# ---- rebuild in a new process ----------------------------------------------
# shellcheck disable=SC2086
timeout 30 "$FLAC" session import "$T/s.img" -- python3 "$T/check.py" $args \
    >"$T/import1.out" 2>&1
want "$T/tree1" >"$T/want1"
if cmp -s "$T/want1" "$T/import1.out"; then
	ok "import: every file at its descriptor and offset, same bytes (SHA-256)"
else
	ko "import: $(diff "$T/want1" "$T/import1.out" | tr '\n' '|')"
fi

# the rebuilt program's session exports again, the same (`session show`)
"$FLAC" session import "$T/s.img" -- sleep 30 >"$T/again.out" 2>&1 &
again=$!
lib__record_pid "$again"
LIB_CHILDREN+=("$again")
for _ in $(seq 1 50); do
	[ "$(readlink "/proc/$again/exe" 2>/dev/null)" = "$(readlink -f /bin/sleep)" ] && break
	sleep 0.1
done
sleep 0.3
timeout 20 "$FLAC" session export "$again" "$T/s2.img" 2>"$T/export2.err"
stop_pid "$again" >/dev/null
"$FLAC" session show "$T/s.img" >"$T/show1" 2>&1
"$FLAC" session show "$T/s2.img" >"$T/show2" 2>&1
if [ "$(grep -c '^fd ' "$T/show1")" = 4 ] && cmp -s "$T/show1" "$T/show2"; then
	ok "the rebuilt program exports the same session again (names, flags, offsets)"
else
	ko "export of the rebuilt program: $(diff "$T/show1" "$T/show2" | tr '\n' '|') $(cat "$T/export2.err")"
fi

# ---- the files moved to another tree, a new spec maps the same names --------
cp -a "$T/tree1/." "$T/tree2/"
rm -rf "$T/tree1"
# shellcheck disable=SC2086
timeout 30 "$FLAC" session import -f "$T/two.flac" "$T/s.img" -- \
    python3 "$T/check.py" $args >"$T/import2.out" 2>&1
want "$T/tree2" >"$T/want2"
if cmp -s "$T/want2" "$T/import2.out"; then
	ok "import after the tree moved, under a new spec: same offsets and bytes"
else
	ko "import after a move: $(diff "$T/want2" "$T/import2.out" | tr '\n' '|')"
fi
# without the new spec the old name space has no such files: a clear error
timeout 30 "$FLAC" session import "$T/s.img" -- true >"$T/import3.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "cannot open /data/d/.* again (fd [0-9]*): No such file" "$T/import3.out"; then
	ok "a file gone from the name space: the import says which, CMD does not run"
else
	ko "import of gone files: rc=$rc $(cat "$T/import3.out")"
fi

# ---- bad images ----------------------------------------------------------------
bad() {	# bad NAME FILE PATTERN
	timeout 10 "$FLAC" session import "$2" -- true >"$T/bad.out" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$3" "$T/bad.out"; then
		ok "bad image, $1: refused ($3)"
	else
		ko "bad image, $1: rc=$rc $(cat "$T/bad.out")"
	fi
}
size=$(stat -c %s "$T/s.img")
head -c $((size - 7)) "$T/s.img" >"$T/trunc.img"
bad truncated "$T/trunc.img" "truncated: the header announces"
head -c 20 "$T/s.img" >"$T/short.img"
bad "truncated header" "$T/short.img" "truncated header"
python3 - "$T/s.img" "$T" <<'PY'
import hashlib, struct, sys
img = open(sys.argv[1], "rb").read(); t = sys.argv[2]
open(t + "/ver.img", "wb").write(img[:4] + struct.pack(">H", 9) + img[6:])
b = bytearray(img); b[-3] ^= 0x40
open(t + "/sum.img", "wb").write(bytes(b))
# a path that escapes: /data/d/../../etc/passwd, with a right checksum
body = img[44:].replace(b"/data/d/big.bin", b"/data/../../e/x")
hdr = img[:8] + struct.pack(">I", len(body)) + hashlib.sha256(body).digest()
open(t + "/esc.img", "wb").write(hdr + body)
PY
bad "another version" "$T/ver.img" "image version 9; this flac reads version 1"
bad "bad checksum" "$T/sum.img" "checksum mismatch"
bad "a path escaping the name space" "$T/esc.img" "path '/data/../../e/x' is not an absolute, normal path"
echo "not an image" >"$T/junk.img"
bad "not an image" "$T/junk.img" "not an I/O session image"

[ "$npass" -gt 0 ] || fail "flac-session: nothing was checked"
[ "$nfail" -eq 0 ] && pass "flac-session: $npass checks"
fail "flac-session: $nfail of $((npass + nfail)) checks failed"
