#!/usr/bin/env bash
# t-flac-cow: the copy-on-write union of section 5.2.3, in detail.  The
# read-only tree is really mounted read-only (a private mount namespace),
# so any write that reached it would fail the run.  Checks, each against
# the same steps on a plain copy of the tree (native):
#   - reads copy nothing; a write (O_WRONLY) or an update (O_RDWR, the
#     spec's transfer with pull) copies the file up first
#   - a parallel build (make -j4: concurrent processes of one session)
#   - removal and re-creation (whiteouts, an opaque directory), renames
#     (a lower directory: EXDEV, which mv handles), links
#   - a copied-up file keeps its inode number (editors check it)
#   - a second session sees the first one's work; the tree is unchanged
# Needs root (unshare -m, read-only bind mount).
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-cow
FLAC=$PWD/$O/bin/flac
[ -x "$FLAC" ] && [ -f "$PWD/$O/lib/libflacrt.so" ] ||
	skip "flac-cow: $O/bin/flac or $O/lib/libflacrt.so is not built (make O=$O all)"
[ "$(id -u)" -eq 0 ] || skip "flac-cow: needs root (a read-only bind mount)"
need_cmd unshare mount gcc make sha256sum /usr/bin/python3
unshare -m --propagation private true 2>/dev/null ||
	skip "flac-cow: unshare -m is not permitted here"
npass=0
nfail=0
check_pass() { echo "PASS: flac-cow: $1"; npass=$((npass + 1)); }
check_fail() {
	echo "FAIL: flac-cow: $1"
	nfail=$((nfail + 1))
	[ $# -ge 3 ] && diff -u "$2" "$3" | head -40
}
shas() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r sha256sum; find . | LC_ALL=C sort)
}

P=$T/src
W=$T/w
mkdir -p "$P/sub/deep" "$P/gone/inner" "$P/moveme" "$W"
for i in $(seq 1 16); do
	printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"$P/f$i.c"
done
{
	echo '#include <stdio.h>'
	for i in $(seq 1 16); do echo "int f$i(void);"; done
	echo 'int main(void) { int t = 0;'
	for i in $(seq 1 16); do echo "t += f$i();"; done
	echo 'printf("total %d\n", t); return 0; }'
} >"$P/main.c"
printf 'OBJS := $(patsubst %%.c,%%.o,$(sort $(wildcard *.c)))\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n' >"$P/Makefile"
echo "lower text" >"$P/sub/deep/text"
echo "update me" >"$P/sub/update"
echo "inner" >"$P/gone/inner/file"
echo "m" >"$P/moveme/m"
cp -a "$P" "$T/native"
shas "$P" >"$T/src.before"

cat >"$T/cow.flac" <<EOF
S = local()
P = $P
W = subtree(local(), $W)
R = subtree(S, P)
U = select(operation, write:W,
           readwrite:transfer(W, R, pull, BLOCK, NONE),
           else:overlay(W, R))
T = overlay(extendtree(U, P), S)
root T
EOF

cat >"$T/steps.sh" <<'EOF'
#!/bin/bash
# The steps, run in the union (or natively on a copy) in directory $1.
export LC_ALL=C
cd "$1" || exit 1
echo "== read"; cat sub/deep/text; wc -c f1.c
echo "== update in place (O_RDWR)"
/usr/bin/python3 -c "
f = open('sub/update', 'r+'); f.write('U'); f.close()
print(open('sub/update').read(), end='')"
echo "== overwrite (O_WRONLY|O_TRUNC)"; echo "new text" >sub/deep/text; cat sub/deep/text
echo "== append (O_WRONLY|O_APPEND)"; echo "/* more */" >>f2.c; tail -1 f2.c
echo "== parallel build"; make -s -j4 2>&1; ./prog; ls *.o | wc -l
echo "== remove and make again"
rm -r gone && ls; mkdir gone && ls gone | wc -l; echo again >gone/file; ls gone
echo "== rename"
mv moveme moved && ls moved; mv f3.c f3-renamed.c; ls f3*
echo "== links"
ln -s sub/deep/text link && cat link; ln f4.c f4-hard.c && stat -c %h f4.c
echo "== inode kept across a copy-up"
a=$(stat -c %i f5.c); echo "/* touched */" >>f5.c; b=$(stat -c %i f5.c)
[ "$a" = "$b" ] && echo "same inode" || echo "inode changed: $a $b"
/usr/bin/python3 -c "
import os
a = os.stat('f6.c').st_ino
f = open('f6.c', 'a'); b = os.fstat(f.fileno()).st_ino; f.close()
print('same inode through fstat' if a == b else 'fstat inode changed')"
echo "== final"; ls -a | grep -v '^\.git$'
EOF
chmod 755 "$T/steps.sh"

# the union: the source tree read-only for the whole run
timeout 300 unshare -m --propagation private bash -c "
	mount --bind '$P' '$P' && mount -o remount,bind,ro '$P' || exit 9
	touch '$P/probe' 2>/dev/null && exit 8
	'$FLAC' -f '$T/cow.flac' -- '$T/steps.sh' '$P' >'$T/flac.out' 2>&1
	echo exit=\$? >>'$T/flac.out'
	'$FLAC' -f '$T/cow.flac' -- bash -c 'cd $P && find . | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum' \
	    >'$T/flac.tree' 2>&1"
rc=$?
[ "$rc" = 9 ] && fail "flac-cow: could not mount the tree read-only"
[ "$rc" = 8 ] && fail "flac-cow: the read-only mount is writable"
# natively, on the copy at the same path
timeout 300 unshare -m --propagation private bash -c "
	mount --bind '$T/native' '$P' || exit 9
	'$T/steps.sh' '$P' >'$T/native.out' 2>&1
	echo exit=\$? >>'$T/native.out'
	cd '$P' && find . | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum" \
    >"$T/native.tree" 2>&1

# inode numbers are the one line natively different: compare the rest
if cmp -s "$T/native.out" "$T/flac.out"; then
	check_pass "every step printed what it prints natively ($(grep -c '^== ' "$T/flac.out") steps, the tree mounted read-only)"
else
	check_fail "outputs differ (native, flac)" "$T/native.out" "$T/flac.out"
fi
if cmp -s "$T/native.tree" "$T/flac.tree"; then
	check_pass "a second session sees the union as the native tree ($(grep -c . "$T/flac.tree") lines, SHA-256 of every file)"
else
	check_fail "the union differs from the native tree" "$T/native.tree" "$T/flac.tree"
fi
if shas "$P" | cmp -s "$T/src.before" -; then
	check_pass "the read-only tree is unmodified ($(grep -c . "$T/src.before") entries)"
else
	check_fail "the read-only tree was modified" "$T/src.before" <(shas "$P")
fi
# the writable layer: copies of what was written, whiteouts, opaque dir
bad=
[ -f "$W/sub/update" ] || bad+=" no-copy-of-update"
[ "$(head -c 1 "$W/sub/update" 2>/dev/null)" = U ] || bad+=" update-not-pulled"
[ -f "$W/sub/deep/text" ] || bad+=" no-overwrite"
[ ! -e "$W/f1.c" ] || bad+=" read-copied-f1"
[ ! -e "$W/sub/deep/../../f7.c" ] || bad+=" read-copied-f7"
[ -f "$W/.wh.moveme" ] || bad+=" no-whiteout-moveme"
[ -f "$W/.wh.f3.c" ] || bad+=" no-whiteout-f3"
[ -f "$W/gone/.wh..wh..opq" ] || bad+=" gone-not-opaque"
[ -f "$W/f1.o" ] && [ -f "$W/prog" ] || bad+=" build-output-missing"
/usr/bin/python3 -c "import os, sys; print(os.getxattr(sys.argv[1], 'user.flac.origin').decode())" \
    "$W/f5.c" 2>/dev/null | grep -q "^[0-9]*:$(stat -c %i "$P/f5.c")\$" || bad+=" no-origin-f5"
if [ -z "$bad" ]; then
	check_pass "the writable layer holds copies of written files only, whiteouts (.wh.NAME), an opaque directory, and each copy's origin"
else
	check_fail "the writable layer:$bad ($(cd "$W" && find . | sort | tr '\n' ' '))"
fi

[ "$npass" -gt 0 ] || fail "flac-cow: nothing was checked"
[ "$nfail" -eq 0 ] && pass "flac-cow: $npass checks"
fail "flac-cow: $nfail of $((npass + nfail)) checks failed"
