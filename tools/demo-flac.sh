#!/usr/bin/env bash
# demo-flac: the copy-on-write union of section 5.2.3, run with `flac -f`.
# A source tree is made read-only in spirit (its SHA-256 is taken before
# and after, and, when root, it is really mounted read-only); a writable
# layer goes over it.  Unmodified programs then edit, build, delete and
# commit in the union, and the demo shows what each tree holds afterwards:
# the union has every change, the writable layer only the changes (and
# whiteouts for what was removed), the source tree nothing new.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
FLAC=$PWD/$O/bin/flac
[ -x "$FLAC" ] && [ -f "$PWD/$O/lib/libflacrt.so" ] || {
	echo "demo-flac: $O/bin/flac is not built (make O=$O all)" >&2
	exit 1
}
T=$(mktemp -d "${TMPDIR:-/tmp}/flac-demo.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C GIT_CONFIG_NOSYSTEM=1 HOME=$T/home
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.org
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.org
mkdir -p "$HOME" "$T/src" "$T/scratch"

# the read-only source tree: a small program in a git repository
cat >"$T/src/hello.c" <<'EOF'
#include <stdio.h>

int
main(void)
{
	printf("hello from the read-only tree\n");
	return 0;
}
EOF
printf 'hello: hello.c\n\tcc -O1 -o hello hello.c\n' >"$T/src/Makefile"
printf 'notes that will be deleted\n' >"$T/src/NOTES"
(cd "$T/src" && git init -q -b main . && git add -A && git commit -qm initial)
before=$(cd "$T/src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)

cat >"$T/cow.flac" <<EOF
# 5.2.3: a copy-on-write union over the source tree (S, P, W made concrete)
S = local()
P = $T/src
W = subtree(local(), $T/scratch)
R = subtree(S, P)
U = select(operation, write:W,
           readwrite:transfer(W, R, pull, BLOCK, NONE),
           else:overlay(W, R))
T = overlay(extendtree(U, P), S)
root T
EOF

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "The specification ($T/cow.flac):"
sed 's/^/    /' "$T/cow.flac"
say "What it means for a file of the tree, per operation (flac explain):"
"$FLAC" explain "$T/cow.flac" "$T/src/hello.c" | sed -n '/^\//,$p' |
    sed 's/^/    /'

# when root, the source tree really is read-only for the run
RO=
if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null; then
	RO="mount --bind '$T/src' '$T/src' && mount -o remount,bind,ro '$T/src' &&"
fi
script='cd "'"$T"'/src" &&
echo "\$ sed -i s/read-only/writable/ hello.c" && sed -i s/read-only/writable/ hello.c &&
echo "\$ make" && make &&
echo "\$ ./hello" && ./hello &&
echo "\$ rm NOTES" && rm NOTES &&
echo "\$ echo new > NEW" && echo new > NEW &&
echo "\$ ls" && ls &&
echo "\$ git status --short" && git status --short &&
echo "\$ git commit -qam edited && git log --oneline" &&
git add NEW && git commit -qam edited && git log --format="%s"'
say "Programs run in the union ($([ -n "$RO" ] && echo "the source tree mounted read-only" || echo "not root: the source tree is only watched")):"
if [ -n "$RO" ]; then
	unshare -m --propagation private bash -c "$RO '$FLAC' -f '$T/cow.flac' -- bash -c '$script'" 2>&1 | sed 's/^/    /'
else
	"$FLAC" -f "$T/cow.flac" -- bash -c "$script" 2>&1 | sed 's/^/    /'
fi

say "The source tree afterwards (untouched):"
(cd "$T/src" && find . -mindepth 1 -maxdepth 1 ! -name .git -printf '%P\n' |
    sort | sed 's/^/    /')
after=$(cd "$T/src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
if [ "$before" = "$after" ]; then
	echo "    SHA-256 of every file, .git included: unchanged"
else
	echo "    CHANGED (this is a bug)"
	exit 1
fi
say "The writable layer (only the changes; .wh.NOTES records the removal):"
(cd "$T/scratch" && find . -path ./.git -prune -o -type f -print | sort |
    sed 's/^/    /')
echo "    (and .git/: $(find "$T/scratch/.git" -type f | wc -l) files git wrote)"
say "The union, seen again in a new flac session:"
"$FLAC" -f "$T/cow.flac" -- bash -c "cd '$T/src' && ls && cat hello.c | grep printf && git log --format=%s" 2>&1 |
    sed 's/^/    /'
echo
