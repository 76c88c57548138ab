#!/usr/bin/env bash
# t-flac-check: `flac check` on good and bad specifications (exact messages
# and exit codes), and `flac explain` for one specification in two
# locations.  Needs only the built `flac`; no hosts, no privileges.
set -u

cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
FLAC=$PWD/$O/bin/flac
DATA=$PWD/tests/data/flac
NAME=t-flac-check

if [ ! -x "$FLAC" ]; then
	echo "SKIP: $NAME: $FLAC is not built (make O=$O all)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
logdir=$PWD/$O/tests/integ/$NAME
rm -rf "$logdir"
npass=0
nfail=0

pass() {
	echo "PASS: $NAME: $1"
	npass=$((npass + 1))
}

# fail WHAT WANT-FILE GOT-FILE: keeps both and their diff in the log dir.
fail() {
	local n=$((nfail + 1))

	echo "FAIL: $NAME: $1"
	nfail=$n
	mkdir -p "$logdir"
	{
		echo "== $1"
		if [ $# -ge 3 ]; then
			diff -u "$2" "$3"
		fi
	} > "$logdir/fail-$n.log" 2>&1
	[ $# -ge 3 ] && diff -u "$2" "$3" | head -20
}

# run_flac OUT ERR ARGS...: runs flac in $tmp, keeps stdout, stderr and rc.
run_flac() {
	local out=$1 err=$2

	shift 2
	(cd "$tmp" && env -u VER "$FLAC" "$@") > "$out" 2> "$err"
	echo $?
}

# ---- every example specification of chapter 5 checks -------------------
for f in "$DATA"/*.flac; do
	b=$(basename "$f")
	rc=$(run_flac "$tmp/out" "$tmp/err" check "$f")
	if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] &&
	    grep -q "^$f: ok (" "$tmp/out"; then
		pass "check $b"
	else
		echo "rc=$rc" >> "$tmp/err"
		fail "check $b: want exit 0 and no message" /dev/null "$tmp/err"
	fi
done

# ---- bad specifications: exact messages, exit 1 -----------------------
# expect_bad NAME 'SPEC TEXT' 'EXPECTED STDERR'
expect_bad() {
	local name=$1 spec=$2 want=$3 rc

	printf '%s' "$spec" > "$tmp/$name.flac"
	printf '%s\n' "$want" > "$tmp/want"
	rc=$(run_flac "$tmp/out" "$tmp/err" check "$name.flac")
	if [ "$rc" = 1 ] && cmp -s "$tmp/want" "$tmp/err" &&
	    [ ! -s "$tmp/out" ]; then
		pass "bad $name"
	else
		echo "rc=$rc" >> "$tmp/err"
		echo "rc=1" >> "$tmp/want"
		fail "bad $name" "$tmp/want" "$tmp/err"
	fi
}

expect_bad typo 'L = local()
root overlya(L, L)
' "flac: typo.flac:2:6: unknown combinator 'overlya' (did you mean 'overlay'?)"

expect_bad extra-paren 'L = local( )
P = smb(share="\\desktop\root"))
root select(location,desktop:L,else:P)
' "flac: extra-paren.flac:2:32: unbalanced ')': no '(' is open here"

# shellcheck disable=SC1111 # the typographic quotes are the point
expect_bad smart-quotes 'L = smb(share=”\\desktop\root”)
root L
' "flac: smart-quotes.flac:1:15: typographic quote '”' does not start a string: use a plain '\"'"

expect_bad unclosed 'root overlay(local(),
    rpc(host=a)
' "flac: unclosed.flac:3:1: expected ')' to close 'overlay(' at 1:6, got end of file"

expect_bad arity 'root subtree(local())
' "flac: arity.flac:1:6: subtree takes 2 operands (a service and a path), got 1"

expect_bad two-roots 'root local()
root rpc(host=a)
' "flac: two-roots.flac:2:1: second 'root' statement (the first is at 1:1): a specification has exactly one"

expect_bad no-root 'L = local()
' "flac: no-root.flac:2:1: no 'root' statement: a specification names its name space with one 'root EXPRESSION', as in 'root local()'"

expect_bad names 'HOME = local()
root overlay(HOEM, OFFICE)
' "flac: names.flac:2:14: undefined name 'HOEM' (did you mean 'HOME'?)
flac: names.flac:2:20: undefined name 'OFFICE'"

expect_bad cycle 'A = overlay(B, local())
B = A
root A
' "flac: cycle.flac:2:5: 'A' is defined in terms of itself (A -> B -> A)"

expect_bad attributes 'root overlay(rpc(host=a, prot=2049),
    sftp(host="bad host", port=0))
' "flac: attributes.flac:1:26: unknown attribute 'prot' of rpc (did you mean 'port'?)
flac: attributes.flac:2:15: bad host 'bad host': a host name or an IP address is expected
flac: attributes.flac:2:32: bad port '0': a number from 1 to 65535 is expected"

expect_bad select 'root select(locaton, a:local(), else:local())
' "flac: select.flac:1:13: unknown context 'locaton' (did you mean 'location'?)"

expect_bad transfer 'root transfer(local(), rpc(host=a), pushpull, ignore, NONE)
' "flac: transfer.flac:1:47: unknown pull modifier 'ignore' (did you mean 'IGNORE'?)"

expect_bad cidr 'root select(location, 192.168.0.0/33:local(), else:local())
' "flac: cidr.flac:1:23: bad prefix length '33' in the CIDR pattern '192.168.0.0/33': IPv4 takes 0 to 32"

# ---- a warning does not fail the check ---------------------------------
printf 'UNUSED = local()\nroot local()\n' > "$tmp/warn.flac"
rc=$(run_flac "$tmp/out" "$tmp/err" check warn.flac)
printf '%s\n' "flac: warn.flac:1:1: warning: 'UNUSED' is bound but never used" \
    > "$tmp/want"
if [ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/err"; then
	pass "warning only"
else
	fail "warning only (rc=$rc)" "$tmp/want" "$tmp/err"
fi

# ---- usage, files, stdin, -f --------------------------------------------
rc=$(run_flac "$tmp/out" "$tmp/err" check missing.flac)
printf '%s\n' "flac: cannot read missing.flac: No such file or directory" \
    > "$tmp/want"
if [ "$rc" = 2 ] && cmp -s "$tmp/want" "$tmp/err"; then
	pass "missing file exits 2"
else
	fail "missing file (rc=$rc)" "$tmp/want" "$tmp/err"
fi

rc=$( (cd "$tmp" && "$FLAC" check - < "$DATA/ch5-select.flac") \
    > "$tmp/out" 2> "$tmp/err"; echo $?)
if [ "$rc" = 0 ] && grep -q '^<stdin>: ok (3 bindings, 3 service instances)$' \
    "$tmp/out"; then
	pass "check from stdin"
else
	fail "check from stdin (rc=$rc)" /dev/null "$tmp/out"
fi

rc=$(run_flac "$tmp/out" "$tmp/err" -f "$DATA/ch5-local.flac" true)
: > "$tmp/want"
if [ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/err"; then
	pass "-f runs a program (true) quietly"
else
	fail "-f (rc=$rc)" "$tmp/want" "$tmp/err"
fi

rc=$(run_flac "$tmp/out" "$tmp/err" --help)
if [ "$rc" = 0 ] && grep -q '^usage: flac check' "$tmp/out"; then
	pass "--help"
else
	fail "--help (rc=$rc)" /dev/null "$tmp/out"
fi

rc=$(run_flac "$tmp/out" "$tmp/err" chek x.flac)
if [ "$rc" = 2 ] && grep -q "^flac: unknown command 'chek' (did you mean 'check'?)$" \
    "$tmp/err"; then
	pass "unknown command"
else
	fail "unknown command (rc=$rc)" /dev/null "$tmp/err"
fi

# ---- explain: one specification, two locations -------------------------
cp "$DATA/fig5-10-emacs.flac" "$tmp/emacs.flac"

cat > "$tmp/want" <<'EOF'
location: office
operation: any
select(location) at 27:8: case 'office'
select(location) at 31:10: case 'office'
services (where first written):
  local() (3:18)
  rpc(host="my.home.net") (9:29)

/n/home/notes.txt
  overlay at 35:6, 2 layers, the first occluding the rest:
    1. transfer at 8:20, mode pushpull, pull BLOCK, push BLOCK:
      primary:   local() /u/z/a/zandy/cache/home/notes.txt
      secondary: rpc(host="my.home.net") /notes.txt
    2. local() /n/home/notes.txt
/etc/passwd
  local() /etc/passwd
EOF
rc=$(run_flac "$tmp/out" "$tmp/err" explain emacs.flac --location office \
    /n/home/notes.txt /etc/passwd)
if [ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/out"; then
	pass "explain at office"
else
	fail "explain at office (rc=$rc)" "$tmp/want" "$tmp/out"
fi

cat > "$tmp/want" <<'EOF'
location: laptop.my.net laptop 192.168.1.20
operation: any
select(location) at 27:8: case 'laptop'
select(location) at 16:29: case '192.168.0.0/16'
select(location) at 31:10: case 'laptop'
services (where first written):
  local() (3:18)
  smb(share="\\home\root") (17:51)
  rpc(host="cumin.cs.wisc.edu") (4:20)

/n/home/notes.txt
  overlay at 35:6, 2 layers, the first occluding the rest:
    1. transfer at 15:20, mode pushpull, pull IGNORE, push IGNORE:
      primary:   local() /cache/home/notes.txt
      secondary: smb(share="\\home\root") /notes.txt
    2. transfer at 20:22, mode pushpull, pull IGNORE, push IGNORE:
      primary:   local() /cache/office/n/home/notes.txt
      secondary: rpc(host="cumin.cs.wisc.edu") /n/home/notes.txt
/etc/passwd
  transfer at 20:22, mode pushpull, pull IGNORE, push IGNORE:
    primary:   local() /cache/office/etc/passwd
    secondary: rpc(host="cumin.cs.wisc.edu") /etc/passwd
EOF
rc=$(run_flac "$tmp/out" "$tmp/err" explain emacs.flac \
    --location laptop.my.net --location 192.168.1.20 \
    /n/home/notes.txt /etc/passwd)
if [ "$rc" = 0 ] && cmp -s "$tmp/want" "$tmp/out"; then
	pass "explain on the laptop at home"
else
	fail "explain on the laptop at home (rc=$rc)" "$tmp/want" "$tmp/out"
fi

# the environment and the operation are part of the context
rc=$(run_flac "$tmp/out" "$tmp/err" explain "$DATA/fig5-6-versions.flac" \
    --location dev --env VER=C /usr/include/stdio.h)
if [ "$rc" = 0 ] && grep -qx '  rpc(host="C") /usr/include/stdio.h' "$tmp/out"
then
	pass "explain with --env"
else
	fail "explain with --env (rc=$rc)" /dev/null "$tmp/out"
fi
rc=$(run_flac "$tmp/out" "$tmp/err" explain "$DATA/ch5-cow.flac" \
    --location x --op readwrite /src/a.c)
if [ "$rc" = 0 ] && grep -qx '    1. transfer at 8:11, mode pull, pull BLOCK, push NONE:' \
    "$tmp/out"; then
	pass "explain with --op"
else
	fail "explain with --op (rc=$rc)" /dev/null "$tmp/out"
fi
rc=$(run_flac "$tmp/out" "$tmp/err" explain emacs.flac --op reed /)
if [ "$rc" = 2 ] && grep -q "unknown operation 'reed' (did you mean 'read'?)" \
    "$tmp/err"; then
	pass "explain refuses a bad --op"
else
	fail "explain with a bad --op (rc=$rc)" /dev/null "$tmp/err"
fi

# without paths: every point where the name space changes
rc=$(run_flac "$tmp/out" "$tmp/err" explain emacs.flac --location home)
if [ "$rc" = 0 ] && grep -qx '/' "$tmp/out" && grep -qx '/n/home' "$tmp/out"
then
	pass "explain without paths"
else
	fail "explain without paths (rc=$rc)" /dev/null "$tmp/out"
fi

# the picture
rc=$(run_flac "$tmp/out" "$tmp/err" explain emacs.flac --location office \
    --dot /n/home/notes.txt /etc/passwd)
if [ "$rc" = 0 ] && head -1 "$tmp/out" | grep -qx 'digraph flac {' &&
    tail -1 "$tmp/out" | grep -qx '}' &&
    grep -q 'shape=diamond, label="transfer pushpull (8:20)' "$tmp/out"; then
	pass "explain --dot"
else
	fail "explain --dot (rc=$rc)" /dev/null "$tmp/out"
fi
if command -v dot > /dev/null 2>&1; then
	if dot -Tsvg "$tmp/out" -o "$tmp/out.svg" 2> "$tmp/err" &&
	    grep -q '<svg' "$tmp/out.svg"; then
		pass "Graphviz draws the --dot output"
	else
		fail "Graphviz rejects the --dot output" /dev/null "$tmp/err"
	fi
else
	echo "SKIP: $NAME: Graphviz (dot) is not installed; not drawing"
fi

echo "$NAME: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
