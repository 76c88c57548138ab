#!/usr/bin/env bash
# t-flac-programs: unmodified programs in flac name spaces do what they do on
# an equivalent real tree.  A small C project (a git repository) is served
# by each of the chapter's local-only specifications; one workload of real
# programs (ls, stat, cat, cp, mv, rm, find, tar, grep -r, a bash script,
# python3 with subprocess, make and gcc, git status and commit, vim saving
# a file, sed -i, ln, chmod, touch) runs in it under `flac -f`, and again
# natively on an equivalent real tree mounted at the same path in a private
# mount namespace.  Their outputs must be equal, and so must the trees
# afterwards (type, mode, links, size and SHA-256 of every file, seen
# through the name space); the trees a specification only reads must be
# unchanged (SHA-256 of every file, .git included, before and after).
#
#   cow         the copy-on-write union of 5.2.3; native: a copy of the tree
#   identity    overlay(cuttree(S,P), extendtree(subtree(S,P),P)) = S
#               (figure 5.4); native: a copy of the tree
#   mount       overlay(extendtree(N,P), cuttree(S,P)) (5.1.3); native: N
#               bind-mounted on P
#   union-over  overlay(extendtree(N,P), S): N over what is at P; native:
#               overlayfs, N's copy the upper layer
#   union-under overlay(S, extendtree(N,P)): N under it; native: overlayfs
#               with N's copy the lower layer
#
# Needs root (unshare -m, mount --bind, overlayfs for the native runs).
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-programs
FLAC=$PWD/$O/bin/flac
[ -x "$FLAC" ] && [ -f "$PWD/$O/lib/libflacrt.so" ] ||
	skip "flac-programs: $O/bin/flac or $O/lib/libflacrt.so is not built (make O=$O all)"
[ "$(id -u)" -eq 0 ] || skip "flac-programs: needs root (mount namespaces for the native runs)"
need_cmd unshare mount gcc make git tar vim sed sha256sum /usr/bin/python3
unshare -m --propagation private true 2>/dev/null ||
	skip "flac-programs: unshare -m is not permitted here"
ONLY=${FLAC_PROGRAMS_ONLY:-}
npass=0
nfail=0
check_pass() { echo "PASS: flac-programs: $1"; npass=$((npass + 1)); }
check_fail() {
	echo "FAIL: flac-programs: $1"
	nfail=$((nfail + 1))
	if [ $# -ge 3 ]; then
		diff -u "$2" "$3" | head -40
	fi
}

# ---- the project and the workload ---------------------------------------

# mk_project DIR: a small C project in a git repository, made the same way
# every time (fixed dates, so that commits have the same hashes).
mk_project() {
	local d=$1
	mkdir -p "$d/lib" "$d/doc" || return 1
	cat >"$d/main.c" <<'EOF'
#include <stdio.h>
#include "lib/util.h"

int
main(void)
{
	printf("sum=%d\n", add(2, 3));
	return 0;
}
EOF
	printf 'int add(int a, int b);\n' >"$d/lib/util.h"
	cat >"$d/lib/util.c" <<'EOF'
#include "util.h"

int
add(int a, int b)
{
	return a + b;
}
EOF
	cat >"$d/Makefile" <<'EOF'
CFLAGS = -O1 -Wall
SRCS := $(sort $(wildcard *.c lib/*.c))
prog: main.o lib/util.o
	$(CC) -o $@ main.o lib/util.o
main.o lib/util.o: lib/util.h
clean:
	rm -f prog main.o lib/util.o
list:
	@echo sources: $(SRCS)
EOF
	printf '*.o\nprog\n' >"$d/.gitignore"
	printf 'the documentation\n' >"$d/doc/readme.txt"
	printf 'more\n' >"$d/doc/notes.txt"
	cat >"$d/build.sh" <<'EOF'
#!/bin/bash
echo "script $0 in $(pwd) with $*"
ls lib | sort
EOF
	chmod 755 "$d/build.sh"
	cat >"$d/tool.py" <<'EOF'
import os
import subprocess
import sys

print(sorted(os.listdir('.')))
with open('py-out.txt', 'w') as f:
    f.write('written by python\n')
print(subprocess.run(['cat', 'py-out.txt'], capture_output=True,
                     text=True).stdout, end='')
print(subprocess.check_output('ls lib | sort; pwd', shell=True, text=True),
      end='')
p = subprocess.Popen([sys.executable, '-c',
                      'import os; print(os.getcwd(), sorted(os.listdir("lib")))'],
                     stdout=subprocess.PIPE, text=True)
print(p.communicate()[0], end='')
os.rename('py-out.txt', 'py-renamed.txt')
print(os.path.exists('py-out.txt'), os.path.isfile('py-renamed.txt'))
for root, dirs, files in os.walk('.'):
    dirs[:] = sorted(d for d in dirs if d != '.git')
    print(root, sorted(files))
EOF
	(
		cd "$d" || exit 1
		export GIT_CONFIG_NOSYSTEM=1 HOME=$T/githome
		export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
		export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
		export GIT_AUTHOR_DATE=2024-01-01T00:00:00Z
		export GIT_COMMITTER_DATE=2024-01-01T00:00:00Z
		mkdir -p "$HOME"
		git init -q -b main . && git add -A && git commit -qm initial
	)
}

cat >"$T/wl.sh" <<'WORKLOAD'
#!/bin/bash
# The workload: run in the project directory $1, with scratch space $2
# outside it.  Every step prints what a person would look at.
set -u
P=$1
OUT=$2
export HOME=$OUT/home GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_AUTHOR_DATE=2024-01-02T00:00:00Z
export GIT_COMMITTER_DATE=2024-01-02T00:00:00Z
mkdir -p "$HOME"
cd "$P" || exit 1
step() { echo "== $*"; }
step pwd; pwd; /bin/pwd
step ls; ls; ls -a lib; ls -d */; ls -la doc | awk '{print $1, $5, $NF}'
step stat; stat -c '%A %h %s %F %n' Makefile main.c lib lib/util.c doc
step cat; cat main.c lib/util.h
step cp
cp main.c copy.c && cp -r lib libcopy && cp -a doc doc-a &&
	cp -p Makefile Makefile.orig; echo "rc=$?"
step mv
mv copy.c moved.c && mv libcopy lib2 && mv doc docs &&
	mv Makefile.orig lib2/; echo "rc=$?"; ls; ls lib2
step rm
rm moved.c && rm -r lib2 && rm -f nothere && rm doc-a/readme.txt
echo "rc=$?"; rm nothere; echo "rc=$?"; ls; ls doc-a
step find
find . -path ./.git -prune -o -print | sort
find . -name '*.c' -type f | sort
find . -path ./.git -prune -o -type d -print | sort
step tar
tar cf "$OUT/t.tar" --sort=name --exclude=.git . && tar tf "$OUT/t.tar"
mkdir unpacked && tar xf "$OUT/t.tar" -C unpacked ./lib ./docs &&
	ls -R unpacked
step grep
grep -rn add --exclude-dir=.git . | sort
grep -rl include --exclude-dir=.git . | sort
grep -rc '' --exclude-dir=.git lib docs | sort
step bash
./build.sh hello world; bash -c 'cd lib && pwd && ls | sort'
for f in docs/*.txt; do echo "$f: $(wc -l <"$f")"; done
step python; /usr/bin/python3 tool.py
step make
make -s list; make 2>&1; ./prog; make 2>&1; touch lib/util.h; make 2>&1
make clean; make -s 2>&1; ./prog; ls
step git
git status --short; git add -A && git commit -qm work &&
	git log --format='%h %s'; git status --short
git diff --stat HEAD~1 | tail -1
step vim
vim -es -u NONE -i NONE -N -c '%s/a + b/b + a/' -c 'wq' lib/util.c
echo "rc=$?"; cat lib/util.c
step sed; sed -i 's/sum=/total=/' main.c; cat main.c
step ln
ln -s lib/util.h util-link.h && ln main.c hard.c
stat -c '%h %n' main.c hard.c; cat util-link.h; readlink util-link.h
step chmod; chmod 600 build.sh; stat -c '%a %n' build.sh; chmod 755 build.sh
step touch
touch -d '2020-02-02 02:02:02' Makefile; stat -c '%Y %n' Makefile
step mkdir
mkdir -p a/b/c && rmdir a/b/c && ls -R a && rm -r a && ls
step rebuild; make -s list; make -s 2>&1 && ./prog; git status --short
WORKLOAD
chmod 755 "$T/wl.sh"

# snapshot DIR: every name below DIR (.git aside): type, mode, links and
# size of files, link targets, and the SHA-256 of each file.
cat >"$T/snap.sh" <<'SNAP'
#!/bin/bash
cd "$1" || exit 1
export LC_ALL=C
find . -path ./.git -prune -o \( -type d -printf 'd %m %p\n' \) -o \
    \( -type f -printf 'f %m %n %s %p\n' \) -o \
    \( -type l -printf 'l %p -> %l\n' \) | sort
find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum
git rev-parse HEAD 2>&1
SNAP
chmod 755 "$T/snap.sh"

# shas DIR: SHA-256 of every file below DIR, .git included (for the trees
# a specification must not write).
shas() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum; find . | LC_ALL=C sort)
}

# ---- running -------------------------------------------------------------

# run_flac NAME SPEC P: the workload under flac, then the tree as the name
# space shows it.
run_flac() {
	local name=$1 spec=$2 p=$3 d=$T/$1
	mkdir -p "$d/out-flac"
	timeout 300 "$FLAC" -f "$spec" -- "$T/wl.sh" "$p" "$d/out-flac" \
	    >"$d/flac.out" 2>&1
	echo "exit=$?" >>"$d/flac.out"
	timeout 120 "$FLAC" -f "$spec" -- "$T/snap.sh" "$p" >"$d/flac.tree" 2>&1
}

# run_native NAME P SETUP: the workload natively, in a mount namespace
# where SETUP (shell commands) has put the equivalent tree at P.
run_native() {
	local name=$1 p=$2 setup=$3 d=$T/$1
	mkdir -p "$d/out-native"
	timeout 300 unshare -m --propagation private bash -c "
	    set -e; $setup; set +e
	    '$T/wl.sh' '$p' '$d/out-native' >'$d/native.out' 2>&1
	    echo exit=\$? >>'$d/native.out'
	    '$T/snap.sh' '$p' >'$d/native.tree' 2>&1" ||
		check_fail "$name: could not set up the native tree"
}

compare() {
	local name=$1 d=$T/$1
	if cmp -s "$d/native.out" "$d/flac.out"; then
		check_pass "$name: every program's output equals the native run's ($(grep -c '^== ' "$d/flac.out") steps)"
	else
		check_fail "$name: outputs differ (native, flac)" "$d/native.out" "$d/flac.out"
	fi
	if cmp -s "$d/native.tree" "$d/flac.tree"; then
		check_pass "$name: the tree afterwards equals the native one ($(grep -c '^[dfl] ' "$d/flac.tree") names, SHA-256 of every file)"
	else
		check_fail "$name: trees differ (native, flac)" "$d/native.tree" "$d/flac.tree"
	fi
}

unchanged() {
	local what=$1 before=$2 dir=$3
	if shas "$dir" | cmp -s "$before" -; then
		check_pass "$what is unmodified ($(grep -c . "$before") entries)"
	else
		check_fail "$what was modified" "$before" <(shas "$dir")
	fi
}

want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

# ---- cow: the copy-on-write union of 5.2.3 --------------------------------
if want cow; then
	D=$T/cow
	mkdir -p "$D/w"
	mk_project "$D/src"
	cp -a "$D/src" "$D/native"
	shas "$D/src" >"$D/src.before"
	cat >"$D/spec.flac" <<EOF
S = local()
P = $D/src
W = subtree(local(), $D/w)
R = subtree(S, P)
U = select(operation, write:W,
           readwrite:transfer(W, R, pull, BLOCK, NONE),
           else:overlay(W, R))
T = overlay(extendtree(U, P), S)
root T
EOF
	run_flac cow "$D/spec.flac" "$D/src"
	run_native cow "$D/src" "mount --bind '$D/native' '$D/src'"
	compare cow
	unchanged "cow: the read-only tree" "$D/src.before" "$D/src"
	# what the writable layer holds: the changes, and whiteouts for what
	# was removed from below
	if [ -f "$D/w/.wh.doc" ] && [ -f "$D/w/docs/readme.txt" ] &&
	    [ -f "$D/w/main.c" ] && [ ! -e "$D/w/tool.py" ] &&
	    [ ! -e "$D/w/.gitignore" ] && [ ! -e "$D/w/doc" ]; then
		check_pass "cow: the writable layer has the changes, whiteouts for removed names, nothing unchanged"
	else
		check_fail "cow: unexpected writable layer: $(cd "$D/w" && find . | sort | head -30 | tr '\n' ' ')"
	fi
fi

# ---- identity: figure 5.4 ---------------------------------------------------
if want identity; then
	D=$T/identity
	mkdir -p "$D"
	mk_project "$D/p"
	cp -a "$D/p" "$D/native"
	cat >"$D/spec.flac" <<EOF
S = local()
P = $D/p
root overlay(cuttree(S, P), extendtree(subtree(S, P), P))
EOF
	run_flac identity "$D/spec.flac" "$D/p"
	run_native identity "$D/p" "mount --bind '$D/native' '$D/p'"
	compare identity
	# the identity changes the real tree itself, as S would
	if shas "$D/p" >"$D/real.after" && [ -f "$D/p/hard.c" ] &&
	    [ ! -e "$D/p/doc" ] && [ -d "$D/p/docs" ]; then
		check_pass "identity: the changes are in the real tree, as with S"
	else
		check_fail "identity: the real tree does not have the changes"
	fi
fi

# ---- mount: 5.1.3 -----------------------------------------------------------
if want mount; then
	D=$T/mount
	mkdir -p "$D/point/under"
	echo "hidden by the mount" >"$D/point/under/file"
	mk_project "$D/n"
	cp -a "$D/n" "$D/native"
	shas "$D/point" >"$D/point.before"
	cat >"$D/spec.flac" <<EOF
S = local()
N = subtree(local(), $D/n)
P = $D/point
T = overlay(extendtree(N, P), cuttree(S, P))
root T
EOF
	run_flac mount "$D/spec.flac" "$D/point"
	run_native mount "$D/point" "mount --bind '$D/native' '$D/point'"
	compare mount
	unchanged "mount: what the mount point held" "$D/point.before" "$D/point"
fi

# ---- union over and under: 5.1.3 --------------------------------------------
if want union-over; then
	D=$T/union-over
	mkdir -p "$D/n" "$D/nat-n" "$D/work"
	mk_project "$D/p"
	cp -a "$D/p" "$D/nat-p"
	shas "$D/p" >"$D/p.before"
	cat >"$D/spec.flac" <<EOF
S = local()
N = subtree(local(), $D/n)
P = $D/p
root overlay(extendtree(N, P), S)
EOF
	run_flac union-over "$D/spec.flac" "$D/p"
	run_native union-over "$D/p" "mount -t overlay overlay -o lowerdir='$D/nat-p',upperdir='$D/nat-n',workdir='$D/work' '$D/p'"
	compare union-over
	unchanged "union-over: the tree under N" "$D/p.before" "$D/p"
fi

if want union-under; then
	D=$T/union-under
	mkdir -p "$D/p" "$D/nat-p" "$D/work"
	echo "mine" >"$D/p/mine.txt"
	cp -a "$D/p/." "$D/nat-p/"
	mk_project "$D/n"
	cp -a "$D/n" "$D/nat-n"
	shas "$D/n" >"$D/n.before"
	cat >"$D/spec.flac" <<EOF
S = local()
N = subtree(local(), $D/n)
P = $D/p
root overlay(S, extendtree(N, P))
EOF
	run_flac union-under "$D/spec.flac" "$D/p"
	run_native union-under "$D/p" "mount -t overlay overlay -o lowerdir='$D/nat-n',upperdir='$D/nat-p',workdir='$D/work' '$D/p'"
	compare union-under
	unchanged "union-under: N, under the tree" "$D/n.before" "$D/n"
fi

[ "$npass" -gt 0 ] || fail "flac-programs: nothing was checked"
if [ "$nfail" -eq 0 ]; then
	pass "flac-programs: $npass checks"
fi
fail "flac-programs: $nfail of $((npass + nfail)) checks failed"
