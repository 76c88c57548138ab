#!/usr/bin/env bash
# t-flac-env: importing environments (section 5.2.2), with local services
# standing for the remote machines of the dissertation.
#
# Three "test machines" B, C and D are whole root trees (the real /usr,
# /etc, /dev, ... bind-mounted read-only, plus each its own SDK in
# /opt/evict-sdk); the developer's home directories are another tree.
#
#   figure 5.5, left   a test machine imports the developer's homes:
#                      overlay(extendtree(subtree(A, /home), /home), local())
#   figure 5.5, right  the developer imports test machine B under his homes:
#                      overlay(LH, B)
#   figure 5.6         overlay(LH, select(env, VER=B:B, VER=C:C, VER=D:D)),
#                      and its shell script, run in the name space once:
#                      for v in B C D: VER=v make all test clean.  Each make
#                      (a new process) decides the select from its own
#                      environment, so each builds against its version.
#
# Each is compared with a native run on the equivalent real tree (bind
# mounts and chroot in a private mount namespace): the outputs must be
# equal, the developer's tree must end as it was (make clean), and the
# test machines' trees must be unmodified.  A process whose environment
# matches no case of the select gets an error, not a crash.  Needs root.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-env
FLAC=$PWD/$O/bin/flac
[ -x "$FLAC" ] && [ -f "$PWD/$O/lib/libflacrt.so" ] ||
	skip "flac-env: $O/bin/flac or $O/lib/libflacrt.so is not built (make O=$O all)"
[ "$(id -u)" -eq 0 ] || skip "flac-env: needs root (mount namespaces, chroot)"
need_cmd unshare mount chroot gcc make sha256sum
unshare -m --propagation private true 2>/dev/null ||
	skip "flac-env: unshare -m is not permitted here"
npass=0
nfail=0
check_pass() { echo "PASS: flac-env: $1"; npass=$((npass + 1)); }
check_fail() {
	echo "FAIL: flac-env: $1"
	nfail=$((nfail + 1))
	[ $# -ge 3 ] && diff -u "$2" "$3" | head -40
}
shas() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r sha256sum; find . | LC_ALL=C sort)
}

# ---- the trees ------------------------------------------------------------

# The developer's machine A: /home/dev/proj builds against the SDK.
mk_home() {
	local h=$1/dev/proj
	mkdir -p "$h" "$1/dev/tmp"
	cat >"$h/app.c" <<'EOF'
#include <stdio.h>
#include <sdk.h>

int
main(void)
{
	printf("built against sdk %s\n", SDK_VERSION);
	return 0;
}
EOF
	cat >"$h/Makefile" <<'EOF'
CFLAGS = -O1 -I/opt/evict-sdk/include
all: app
app: app.c
	$(CC) $(CFLAGS) -o app app.c
test: app
	./app
	/opt/evict-sdk/bin/sdk-name
	ls /opt/evict-sdk/include
clean:
	rm -f app
EOF
	printf 'developer notes\n' >"$1/dev/notes.txt"
	mkdir -p "$1/dev/sdk-stub"
	printf '#define SDK_VERSION "stub in the home"\n' >"$1/dev/sdk-stub/sdk.h"
}
mk_home "$T/A/home"
cp -a "$T/A" "$T/A-native"
shas "$T/A" >"$T/A.before"

# A test machine: the real system, read-only, with its own SDK.
mk_host() {
	local v=$1 r=$T/host$1 d l
	mkdir -p "$r/opt/evict-sdk/include" "$r/opt/evict-sdk/bin" "$r/home"
	printf '#define SDK_VERSION "%s"\n' "$v" >"$r/opt/evict-sdk/include/sdk.h"
	printf '%s\n' "$v" >"$r/opt/evict-sdk/VERSION"
	printf '#!/bin/sh\necho "sdk tool of version $(cat /opt/evict-sdk/VERSION)"\n' \
	    >"$r/opt/evict-sdk/bin/sdk-name"
	chmod 755 "$r/opt/evict-sdk/bin/sdk-name"
	for d in usr etc dev proc sys var tmp run; do
		mkdir -p "$r/$d"
	done
	for l in bin sbin lib lib32 lib64 libx32; do
		[ -L "/$l" ] && ln -s "$(readlink "/$l")" "$r/$l"
	done
	shas "$r/opt" >"$T/host$v.before"
}
for v in B C D; do mk_host "$v"; done

# Shell commands (inside the private mount namespace) that fill the test
# machines' roots with read-only bind mounts of the real system.
MOUNTS=
for v in B C D; do
	for d in usr etc dev proc sys var tmp run; do
		MOUNTS+="mount --bind /$d '$T/host$v/$d' &&
		    mount -o remount,bind,ro '$T/host$v/$d' && "
	done
done
MOUNTS+=true

cat >"$T/driver.sh" <<'EOF'
#!/bin/bash
# Figure 5.6, right: build and test on each version, from one shell.
export TMPDIR=/home/dev/tmp LC_ALL=C
cd /home/dev/proj || exit 1
for v in B C D; do
	export VER=$v
	echo "version: $v"
	make all test clean
done
EOF
cat >"$T/native.sh" <<'EOF'
#!/bin/bash
# The same, natively: each version is its own machine (a chroot).
export TMPDIR=/home/dev/tmp LC_ALL=C
cd /home/dev/proj || exit 1
v=$1
export VER=$v
echo "version: $v"
make all test clean
EOF
chmod 755 "$T/driver.sh" "$T/native.sh"

# ---- the specifications (the dissertation's, made local) ------------------

cat >"$T/fig5-5-left.flac" <<EOF
# Figure 5.5, left: the developer's home directories on a test machine
A = subtree(local(), $T/A)
RH = extendtree(subtree(A, /home), /home)
root overlay(RH, local())
EOF
cat >"$T/fig5-5-right.flac" <<EOF
# Figure 5.5, right: the developer's homes over the test machine's files
LH = extendtree(subtree(local(), $T/A/home), /home)
RM = subtree(local(), $T/hostB)
root overlay(LH, RM)
EOF
cat >"$T/fig5-6.flac" <<EOF
# Figure 5.6: the operating system version chosen by \$VER
LH = extendtree(subtree(local(), $T/A/home), /home)
root overlay(LH, select(env, VER=B:subtree(local(), $T/hostB),
                             VER=C:subtree(local(), $T/hostC),
                             VER=D:subtree(local(), $T/hostD)))
EOF
for f in fig5-5-left fig5-5-right fig5-6; do
	"$FLAC" check -q "$T/$f.flac" || fail "flac-env: $f.flac does not check"
done

# ---- runs -------------------------------------------------------------------

# Everything that needs the test machines' mounts runs in one private mount
# namespace; nothing in it removes files (the mounts are read-only).
cd / || exit 1
timeout 600 unshare -m --propagation private bash -c "
	set -e
	$MOUNTS
	set +e
	# figure 5.6: one shell, three versions
	'$FLAC' -f '$T/fig5-6.flac' --env VER=B -- /bin/bash '$T/driver.sh' \
	    >'$T/fig5-6.flac.out' 2>&1
	echo exit=\$? >>'$T/fig5-6.flac.out'
	# figure 5.5, right: machine B under the developer's homes
	'$FLAC' -f '$T/fig5-5-right.flac' -- /bin/bash -c \
	    'cd /home/dev/proj && ls /opt && make -s all test clean' \
	    >'$T/fig5-5-right.flac.out' 2>&1
	echo exit=\$? >>'$T/fig5-5-right.flac.out'
	# no case matches: a clean error
	env -u VER '$FLAC' -f '$T/fig5-6.flac' -- /bin/true \
	    >'$T/nomatch.out' 2>&1
	echo exit=\$? >>'$T/nomatch.out'
	# the native runs: chroot into each machine with the homes mounted
	for v in B C D; do
		unshare -m --propagation private bash -c \"
		    mount --bind '$T/A-native/home' '$T/host\$v/home' &&
		    chroot '$T/host\$v' /bin/bash '$T/native.sh' \$v\"
	done >'$T/fig5-6.native.out' 2>&1
	echo exit=\$? >>'$T/fig5-6.native.out'
	unshare -m --propagation private bash -c \"
	    mount --bind '$T/A-native/home' '$T/hostB/home' &&
	    chroot '$T/hostB' /bin/bash -c 'cd /home/dev/proj && ls /opt &&
	    make -s all test clean'\" >'$T/fig5-5-right.native.out' 2>&1
	echo exit=\$? >>'$T/fig5-5-right.native.out'
" || check_fail "the test machines could not be set up"

# figure 5.5, left: on this (test) machine, the developer's homes over
# its /home (a union: natively, overlayfs with the homes as upper layer)
LEFT='export TMPDIR=/home/dev/tmp; cd /home/dev/proj && ls /home &&
    cat /home/dev/notes.txt && make -s CFLAGS=-I/home/dev/sdk-stub app &&
    ./app; make -s clean; ls'
"$FLAC" -f "$T/fig5-5-left.flac" -- /bin/bash -c "$LEFT" \
    >"$T/fig5-5-left.flac.out" 2>&1
echo "exit=$?" >>"$T/fig5-5-left.flac.out"
mkdir -p "$T/work"
timeout 120 unshare -m --propagation private bash -c "
	mount -t overlay overlay -o lowerdir=/home,upperdir='$T/A-native/home',workdir='$T/work' /home &&
	$LEFT" >"$T/fig5-5-left.native.out" 2>&1
echo "exit=$?" >>"$T/fig5-5-left.native.out"

# ---- verdicts ---------------------------------------------------------------

if cmp -s "$T/fig5-6.native.out" "$T/fig5-6.flac.out"; then
	check_pass "figure 5.6: one shell built and tested on B, C and D like three machines ($(grep -c '^built against' "$T/fig5-6.flac.out") builds)"
else
	check_fail "figure 5.6: outputs differ (native, flac)" "$T/fig5-6.native.out" "$T/fig5-6.flac.out"
fi
if grep -q '^built against sdk B$' "$T/fig5-6.flac.out" &&
    grep -q '^built against sdk C$' "$T/fig5-6.flac.out" &&
    grep -q '^built against sdk D$' "$T/fig5-6.flac.out" &&
    grep -q '^sdk tool of version D$' "$T/fig5-6.flac.out"; then
	check_pass "figure 5.6: each make saw the version its VER selects (headers and tools)"
else
	check_fail "figure 5.6: the versions were not selected by VER: $(grep -i sdk "$T/fig5-6.flac.out" | tr '\n' ' ')"
fi
for f in fig5-5-right fig5-5-left; do
	if cmp -s "$T/$f.native.out" "$T/$f.flac.out"; then
		check_pass "${f/fig5-5-/figure 5.5, }: the build's output equals the native run's"
	else
		check_fail "${f/fig5-5-/figure 5.5, }: outputs differ (native, flac)" "$T/$f.native.out" "$T/$f.flac.out"
	fi
done
if grep -q '^built against sdk stub in the home$' "$T/fig5-5-left.flac.out" &&
    grep -q '^cloudsdk$\|^dev$' "$T/fig5-5-left.flac.out"; then
	check_pass "figure 5.5, left: the homes of A are seen over this machine's /home, and built in"
else
	check_fail "figure 5.5, left: $(tr '\n' ' ' <"$T/fig5-5-left.flac.out")"
fi
if grep -q 'exit=126' "$T/nomatch.out" && grep -q 'flac: /bin/true: ' "$T/nomatch.out" &&
    ! grep -qi 'segmentation\|core dumped\|abort' "$T/nomatch.out"; then
	check_pass "no case of select(env) matches: the program is refused with an error ($(head -1 "$T/nomatch.out"))"
else
	check_fail "no case of select(env) matches: $(tr '\n' ' ' <"$T/nomatch.out")"
fi
if shas "$T/A" | cmp -s "$T/A.before" -; then
	check_pass "the developer's tree is as it was (make clean)"
else
	check_fail "the developer's tree changed" "$T/A.before" <(shas "$T/A")
fi
ok=1
for v in B C D; do
	shas "$T/host$v/opt" | cmp -s "$T/host$v.before" - || ok=0
done
if [ "$ok" = 1 ]; then
	check_pass "the test machines' trees are unmodified"
else
	check_fail "a test machine's tree was modified"
fi

[ "$npass" -gt 0 ] || fail "flac-env: nothing was checked"
[ "$nfail" -eq 0 ] && pass "flac-env: $npass checks"
fail "flac-env: $nfail of $((npass + nfail)) checks failed"
