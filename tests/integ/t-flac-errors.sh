#!/usr/bin/env bash
# t-flac-errors: bad input and failing services give the program an errno
# (and the user a message that says what to do), never a crash.
#   - a wrong specification: line:column, and the program does not run
#   - a command that is not in the name space: 127
#   - a select with no case for this context: EACCES where it serves
#   - a remote service without flacd: EREMOTE; a transfer to one: IGNORE
#     goes on with the primary, FAIL gives ENOTCONN, without flacd and
#     through it (started on demand) when the service cannot be reached
#   - the writable layer removed while a program writes, then made again;
#     the writable layer read-only
#   - children that drop LD_PRELOAD, clear their environment or close the
#     session's fds stay in the name space
#   - a damaged FLAC_SESSION: the program runs, outside, with a message
# Needs root only for the read-only layer (skipped otherwise).
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-errors
FLAC=$PWD/$O/bin/flac
LIB=$PWD/$O/lib/libflacrt.so
[ -x "$FLAC" ] && [ -f "$LIB" ] ||
	skip "flac-errors: $O/bin/flac or $O/lib/libflacrt.so is not built (make O=$O all)"
need_cmd /usr/bin/python3
npass=0
nfail=0
check_pass() { echo "PASS: flac-errors: $1"; npass=$((npass + 1)); }
check_fail() { echo "FAIL: flac-errors: $1"; nfail=$((nfail + 1)); }
# expect NAME WANT-RC GREP-PATTERN FILE: the run ended with WANT-RC (not
# a signal) and FILE matches PATTERN.
expect() {
	local name=$1 want=$2 pat=$3 f=$4 rc
	rc=$(tail -1 "$f" | sed -n 's/^rc=//p')
	if [ "$rc" = "$want" ] && grep -q -- "$pat" "$f"; then
		check_pass "$name"
	else
		check_fail "$name: want rc=$want and /$pat/, got: $(tr '\n' '|' <"$f" | cut -c1-400)"
	fi
}
runf() {	# runf OUT ARGS...: flac with ARGS, output and rc in OUT
	local out=$1
	shift
	timeout 60 "$FLAC" "$@" >"$out" 2>&1
	echo "rc=$?" >>"$out"
}

mkdir -p "$T/x" "$T/cache" "$T/w" "$T/src"
echo "in x" >"$T/x/file"
echo "cached" >"$T/cache/f"
echo "source" >"$T/src/s"

# ---- specifications ---------------------------------------------------------
printf 'A = local()\nroot overlya(A, A)\n' >"$T/bad.flac"
runf "$T/bad.out" -f "$T/bad.flac" -- touch "$T/ran"
if grep -q "^flac: $T/bad.flac:2:6: unknown combinator 'overlya' (did you mean 'overlay'?)" "$T/bad.out" &&
    grep -q '^rc=1$' "$T/bad.out" && [ ! -e "$T/ran" ]; then
	check_pass "a wrong specification: file:line:column and exit 1; the program does not run"
else
	check_fail "a wrong specification: $(tr '\n' '|' <"$T/bad.out")"
fi
echo 'root local()' >"$T/local.flac"
runf "$T/nocmd.out" -f "$T/local.flac" -- no-such-command-here
expect "a command that is not in the name space: 127" 127 "no-such-command-here: not found in the name space" "$T/nocmd.out"

# ---- failing parts of a name space -------------------------------------
cat >"$T/fail.flac" <<EOF
root overlay(extendtree(select(env, FLACTEST=on:subtree(local(), $T/x),
                                   FLACTEST=other:local()), /sel),
             local())
EOF
timeout 60 env -u FLACTEST "$FLAC" -f "$T/fail.flac" -- /bin/bash -c \
    "cat /sel/file; echo catrc=\$?; cat $T/x/file" >"$T/fail.out" 2>&1
echo "rc=$?" >>"$T/fail.out"
if grep -q 'no case of select(env) matches here' "$T/fail.out" &&
    grep -q 'cat: /sel/file: Permission denied' "$T/fail.out" &&
    grep -q '^catrc=1$' "$T/fail.out" && grep -q '^in x$' "$T/fail.out"; then
	check_pass "select(env) with no case for this environment: a warning, EACCES below it, the rest works"
else
	check_fail "select(env) with no case: $(tr '\n' '|' <"$T/fail.out")"
fi
runf "$T/failon.out" -f "$T/fail.flac" --env FLACTEST=on -- cat /sel/file
expect "the same spec with the case chosen (--env) serves the file" 0 "^in x$" "$T/failon.out"

cat >"$T/remote.flac" <<EOF
R = rpc(host="127.0.0.1", port=1)
C = transfer(subtree(local(), $T/cache), R, pushpull, IGNORE, IGNORE)
F = transfer(subtree(local(), $T/cache), R, pull, FAIL, NONE)
root overlay(extendtree(R, /remote),
     overlay(extendtree(C, /ignore), overlay(extendtree(F, /failing), local())))
EOF
# without flacd (it cannot be started here): the runtime answers alone
export FLACD_SOCKET=$T/flacd.sock FLACD_IDLE=1
FLACD=/nonexistent runf "$T/remote.out" -f "$T/remote.flac" -- /bin/bash -c \
    'ls /remote; echo lsrc=$?; cat /ignore/f; echo > /ignore/new && echo wrote; cat /failing/f; echo failrc=$?'
if grep -q 'ls: cannot open directory .*/remote.*Object is remote\|ls: cannot access .*/remote.*Object is remote' "$T/remote.out" &&
    grep -q '^lsrc=2$' "$T/remote.out" && grep -q '^cached$' "$T/remote.out" &&
    grep -q '^wrote$' "$T/remote.out" &&
    grep -q 'cannot reach or start flacd' "$T/remote.out" &&
    grep -q 'cat: /failing/f: Transport endpoint is not connected' "$T/remote.out" &&
    grep -q '^failrc=1$' "$T/remote.out"; then
	check_pass "remote services without flacd: EREMOTE; a transfer with IGNORE uses its local primary, with FAIL gives ENOTCONN"
else
	check_fail "remote services: $(tr '\n' '|' <"$T/remote.out")"
fi
# with flacd (started for the rpc service): a service nobody serves
# (port 1 of loopback) gives ENOTCONN through the transfer too
rm -f "$T/cache/new"
(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/rpc.key")
FLAC_RPC_KEY=$T/rpc.key runf "$T/remote2.out" -f "$T/remote.flac" -- /bin/bash -c \
    'ls /remote; echo lsrc=$?; cat /ignore/f; echo > /ignore/new && echo wrote; cat /failing/f; echo failrc=$?'
odpid=$("$(dirname "$FLAC")/flacd" -l 2>/dev/null | sed -n 's/^flacd \([0-9]*\):.*/\1/p')
[ -n "$odpid" ] && lib__record_pid "$odpid"
if grep -q '^lsrc=2$' "$T/remote2.out" && grep -q '^cached$' "$T/remote2.out" &&
    grep -q '^wrote$' "$T/remote2.out" && [ -n "$odpid" ] &&
    grep -q 'cat: /failing/f: Transport endpoint is not connected' "$T/remote2.out" &&
    grep -q '^failrc=1$' "$T/remote2.out"; then
	check_pass "an unreachable service with flacd (started on demand): a transfer with IGNORE uses its primary, with FAIL gives ENOTCONN"
else
	check_fail "remote services with flacd: $(tr '\n' '|' <"$T/remote2.out")"
fi
[ -n "$odpid" ] && stop_pid "$odpid" >/dev/null
unset FLACD_SOCKET FLACD_IDLE

# ---- the writable layer goes away, then comes back ------------------------
cat >"$T/cow.flac" <<EOF
S = local()
P = $T/src
W = subtree(local(), $T/w)
U = select(operation, write:W, readwrite:transfer(W, subtree(S, P), pull, BLOCK, NONE),
           else:overlay(W, subtree(S, P)))
root overlay(extendtree(U, P), S)
EOF
cat >"$T/writer.py" <<'EOF'
import errno, os, sys, time
p = sys.argv[1]
for i in range(60):
    try:
        with open(os.path.join(p, 'out%d' % i), 'w') as f:
            f.write('x')
        print('ok', flush=True)
    except OSError as e:
        print('error', errno.errorcode[e.errno], flush=True)
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
print('read back:', open(os.path.join(p, 's')).read(), end='')
EOF
timeout 60 "$FLAC" -f "$T/cow.flac" -- /usr/bin/python3 "$T/writer.py" "$T/src" "$T/stop" \
    >"$T/writer.out" 2>&1 &
wpid=$!
sleep 0.6
mv "$T/w" "$T/w-gone"	# the layer disappears under the program
sleep 0.6
mkdir "$T/w"			# and comes back empty
sleep 0.6
touch "$T/stop"
wait "$wpid"
echo "rc=$?" >>"$T/writer.out"
if grep -q '^ok$' "$T/writer.out" && grep -q '^error ENOENT$' "$T/writer.out" &&
    [ "$(grep -c '^ok$' "$T/writer.out")" -ge 2 ] &&
    grep -q '^read back: source$' "$T/writer.out" && grep -q '^rc=0$' "$T/writer.out" &&
    [ "$(sed -n '/^error/,$p' "$T/writer.out" | grep -c '^ok$')" -ge 1 ]; then
	check_pass "the writable layer removed mid-run: ENOENT to the program, which goes on when it is back ($(grep -c '^ok$' "$T/writer.out") ok, $(grep -c '^error' "$T/writer.out") errors)"
else
	check_fail "writable layer removed mid-run: $(tr '\n' '|' <"$T/writer.out" | cut -c1-300)"
fi

if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null; then
	timeout 60 unshare -m --propagation private bash -c "
	    mount --bind '$T/w' '$T/w' && mount -o remount,bind,ro '$T/w' &&
	    '$FLAC' -f '$T/cow.flac' -- /bin/bash -c 'cat $T/src/s; cp $T/src/s $T/src/t; echo cprc=\$?'" \
	    >"$T/ro.out" 2>&1
	echo "rc=$?" >>"$T/ro.out"
	if grep -q '^source$' "$T/ro.out" && grep -q 'Read-only file system' "$T/ro.out" &&
	    grep -q '^cprc=1$' "$T/ro.out"; then
		check_pass "a read-only writable layer: reads work, writes get EROFS"
	else
		check_fail "read-only writable layer: $(tr '\n' '|' <"$T/ro.out")"
	fi
else
	echo "# flac-errors: not root: the read-only layer case is not run" >&2
fi

# ---- children stay inside -------------------------------------------------
cat >"$T/mnt.flac" <<EOF
root overlay(extendtree(subtree(local(), $T/x), /flac-only), local())
EOF
runf "$T/kids.out" -f "$T/mnt.flac" -- /bin/bash -c '
    env -u LD_PRELOAD cat /flac-only/file
    env -i /bin/cat /flac-only/file
    exec 900<&- 901<&-; /bin/cat /flac-only/file
    /usr/bin/python3 -c "import subprocess; print(subprocess.run([\"cat\", \"/flac-only/file\"], capture_output=True, text=True, close_fds=True).stdout, end=\"\")"
    /usr/bin/python3 -c "import os; os.system(\"cat /flac-only/file\"); print(os.popen(\"cat /flac-only/file\").read(), end=\"\")"'
if [ "$(grep -c '^in x$' "$T/kids.out")" = 6 ] && grep -q '^rc=0$' "$T/kids.out"; then
	check_pass "children stay in the name space (no LD_PRELOAD, env -i, session fds closed, subprocess, system, popen)"
else
	check_fail "children: $(tr '\n' '|' <"$T/kids.out")"
fi

# ---- a damaged session -------------------------------------------------------
# (a sanitized build of the library needs its runtime preloaded first)
asan=$(ldd "$LIB" 2>/dev/null | awk '/libasan/ { print $3 }')
timeout 30 env FLAC_SESSION=garbage LD_PRELOAD="$asan${asan:+:}$LIB" \
    /bin/cat "$T/x/file" \
    >"$T/damaged.out" 2>&1
echo "rc=$?" >>"$T/damaged.out"
expect "a damaged FLAC_SESSION: the program runs (outside) and says why" 0 "bad FLAC_SESSION='garbage'; the name space is off" "$T/damaged.out"

[ "$npass" -gt 0 ] || fail "flac-errors: nothing was checked"
[ "$nfail" -eq 0 ] && pass "flac-errors: $npass checks"
fail "flac-errors: $nfail of $((npass + nfail)) checks failed"
