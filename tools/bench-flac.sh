#!/usr/bin/env bash
# bench-flac: what a flac name space costs a program, as ratios to the same
# work done natively in the same run.  Two specifications:
#
#   local()   root local(): the whole file system, unchanged
#   overlay   the copy-on-write union of section 5.2.3 over the tree the
#             benchmark uses (a writable layer over it; most files only in
#             the read-only layer below, some copied up)
#
# Measures: stat and open+close per call (tests/helpers/flac-bench), the
# throughput of one sequential read of a 256 MiB file, grep -r over
# /usr/include, find over /usr, and a gcc build of a 40-file C project
# with make.  Each cell is the median of BENCH_ROUNDS runs (default 5),
# native, local() and overlay interleaved in each round.  The overlay case
# is also measured through mergerfs (the FUSE union, Debian's package), a
# writable branch over the read-only one, mounted by this script when FUSE
# works here (root).  Prints a
# markdown table (and writes it to $O/bench-flac.md) for docs/BENCHMARKS.md.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
ROUNDS=${BENCH_ROUNDS:-5}
FLAC=$PWD/$O/bin/flac
HB=$PWD/$O/tests/helpers/flac-bench
for f in "$FLAC" "$HB" "$PWD/$O/lib/libflacrt.so"; do
	[ -e "$f" ] || { echo "bench-flac: $f is not built (make O=$O all)" >&2; exit 1; }
done
for c in gcc make grep find; do
	command -v "$c" >/dev/null || { echo "bench-flac: needs $c" >&2; exit 1; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-flac.XXXXXX") || exit 1
MOUNTS=()
cleanup() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

# ---- the trees and the specifications ---------------------------------------

# A tree of small files, some copied up into the writable layer.
mkdir -p "$T/w" "$T/wusr" "$T/wp"
for d in $(seq 1 10); do
	mkdir -p "$T/src/d$d"
	for f in $(seq 1 6); do
		printf 'file %s of %s\n' "$f" "$d" >"$T/src/d$d/f$f.txt"
	done
done
for d in 1 2; do	# copied up: the overlay's upper layer has them
	mkdir -p "$T/w/d$d"
	cp -p "$T/src/d$d/"* "$T/w/d$d/"
done
dd if=/dev/urandom of="$T/src/big" bs=1M count=256 status=none
PATHS=()
for d in $(seq 1 10); do
	for f in $(seq 1 6); do
		PATHS+=("$T/src/d$d/f$f.txt")
	done
done

# The C project: 40 files, each with a few system headers.
mkdir -p "$T/proj"
for i in $(seq 1 40); do
	cat >"$T/proj/m$i.c" <<EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
int f$i(const char *s) { struct stat st; return stat(s, &st) == 0 ? (int)strlen(s) + $i : errno; }
EOF
done
{
	echo '#include <stdio.h>'
	for i in $(seq 1 40); do echo "int f$i(const char *);"; done
	echo 'int main(void) { int t = 0;'
	for i in $(seq 1 40); do echo "t += f$i(\"/\");"; done
	echo 'printf("%d\n", t); return 0; }'
} >"$T/proj/main.c"
cat >"$T/proj/Makefile" <<'EOF'
OBJS := $(patsubst %.c,%.o,$(sort $(wildcard *.c)))
CFLAGS = -O1
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
clean:
	rm -f prog *.o
EOF

echo 'root local()' >"$T/local.flac"
# cow P W: the copy-on-write union of 5.2.3 over P, writable layer W
cow() {
	cat <<EOF
S = local()
P = $1
W = subtree(local(), $2)
R = subtree(S, P)
U = select(operation, write:W, readwrite:transfer(W, R, pull, BLOCK, NONE),
           else:overlay(W, R))
root overlay(extendtree(U, P), S)
EOF
}
cow "$T/src" "$T/w" >"$T/overlay.flac"
cow /usr "$T/wusr" >"$T/usr.flac"
cow "$T/proj" "$T/wp" >"$T/proj.flac"

# ---- measuring --------------------------------------------------------------

# run MODE SPEC CMD...: CMD natively (MODE native) or under SPEC.
run() {
	local mode=$1 spec=$2
	shift 2
	if [ "$mode" = native ]; then
		"$@"
	else
		"$FLAC" -f "$spec" -- "$@"
	fi
}

# secs CMD...: wall-clock seconds of CMD (output discarded).
secs() {
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A R
# measure NAME SPEC-FOR-OVERLAY KIND CMD...: KIND "ns" (the helper's third
# field), "mbs" (the helper's third field, MB/s) or "s" (seconds).
measure() {
	local name=$1 ospec=$2 kind=$3 mode spec v i
	shift 3
	for i in $(seq 1 "$ROUNDS"); do
		for mode in native local overlay; do
			case $mode in
			native) spec= ;;
			local) spec=$T/local.flac ;;
			overlay) spec=$ospec ;;
			esac
			if [ "$kind" = s ]; then
				v=$(secs run "$mode" "$spec" "$@")
			else
				v=$(run "$mode" "$spec" "$@" 2>/dev/null |
				    awk '{ print $3 }')
			fi
			echo "$v" >>"$T/m.$name.$mode"
		done
	done
	for mode in native local overlay; do
		R[$name.$mode]=$(median <"$T/m.$name.$mode")
	done
}

measure_build() {
	local mode spec i t0 t1
	for i in $(seq 1 "$ROUNDS"); do
		for mode in native local overlay; do
			case $mode in
			native) spec= ;;
			local) spec=$T/local.flac ;;
			overlay) spec=$T/proj.flac ;;
			esac
			rm -f "$T/proj/"*.o "$T/proj/prog"
			rm -rf "$T/wp" && mkdir -p "$T/wp"
			t0=$EPOCHREALTIME
			run "$mode" "$spec" make -s -C "$T/proj" >/dev/null 2>&1
			t1=$EPOCHREALTIME
			awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' \
			    >>"$T/m.gcc.$mode"
		done
	done
	for mode in native local overlay; do
		R[gcc.$mode]=$(median <"$T/m.gcc.$mode")
	done
}

# mergerfs: the same unions through FUSE (a writable branch first).
MFS=0
if command -v mergerfs >/dev/null 2>&1 && [ -c /dev/fuse ] &&
    [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/m/src" "$T/m/usr" "$T/m/proj" "$T/mw" "$T/mwusr" "$T/mwp"
	cp -a "$T/w/." "$T/mw/"
	MFS=1
	for pair in "$T/mw:$T/src:$T/m/src" "$T/mwusr:/usr:$T/m/usr" \
	    "$T/mwp:$T/proj:$T/m/proj"; do
		IFS=: read -r rw ro mnt <<<"$pair"
		if timeout 10 mergerfs -o category.create=ff,cache.files=off \
		    "$rw=RW:$ro=RO" "$mnt"; then
			MOUNTS+=("$mnt")
		else
			MFS=0
		fi
	done
fi
MPATHS=("${PATHS[@]/#$T\/src/$T/m/src}")

# measure_m NAME KIND CMD...: CMD (on the mergerfs paths) in every round.
measure_m() {
	local name=$1 kind=$2 v i
	shift 2
	for i in $(seq 1 "$ROUNDS"); do
		if [ "$kind" = s ]; then
			v=$(secs "$@")
		else
			v=$("$@" 2>/dev/null | awk '{ print $3 }')
		fi
		echo "$v" >>"$T/m.$name.mergerfs"
	done
	R[$name.mergerfs]=$(median <"$T/m.$name.mergerfs")
}

measure_m_build() {
	local i t0 t1
	for i in $(seq 1 "$ROUNDS"); do
		rm -f "$T/m/proj/"*.o "$T/m/proj/prog"
		t0=$EPOCHREALTIME
		make -s -C "$T/m/proj" >/dev/null 2>&1
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' \
		    >>"$T/m.gcc.mergerfs"
	done
	R[gcc.mergerfs]=$(median <"$T/m.gcc.mergerfs")
}

echo "bench-flac: $ROUNDS rounds; this takes a minute or two" >&2
cat "$T/src/big" >/dev/null	# warm the page cache
grep -r -c zzz /usr/include >/dev/null 2>&1
find /usr >/dev/null 2>&1
measure stat "$T/overlay.flac" ns "$HB" stat 2000 "${PATHS[@]}"
measure open "$T/overlay.flac" ns "$HB" open 1000 "${PATHS[@]}"
measure read "$T/overlay.flac" mbs "$HB" read "$T/src/big"
measure grep "$T/usr.flac" s grep -r -c zzzqqq /usr/include
measure find "$T/usr.flac" s find /usr
measure_build
if [ "$MFS" = 1 ]; then
	measure_m stat ns "$HB" stat 2000 "${MPATHS[@]}"
	measure_m open ns "$HB" open 1000 "${MPATHS[@]}"
	measure_m read mbs "$HB" read "$T/m/src/big"
	measure_m grep s grep -r -c zzzqqq "$T/m/usr/include"
	measure_m find s find "$T/m/usr"
	measure_m_build
fi

# ---- the table ----------------------------------------------------------------

# row LABEL NAME UNIT SCALE GOAL BETTER: ratio = flac / native (time) or
# native / flac (throughput, BETTER=high); goal is a ratio bound.
row() {
	local label=$1 name=$2 unit=$3 scale=$4 goal=$5 better=$6
	awk -v l="$label" -v u="$unit" -v s="$scale" -v g="$goal" -v b="$better" \
	    -v n="${R[$name.native]}" -v lo="${R[$name.local]}" \
	    -v ov="${R[$name.overlay]}" -v mf="${R[$name.mergerfs]:-}" '
	function f(x) {
		if (x >= 100)
			return sprintf("%.0f", x)
		if (x >= 1)
			return sprintf("%.2f", x)
		return sprintf("%.3f", x)
	}
	BEGIN {
		rl = b == "high" ? n / lo : lo / n
		ro = b == "high" ? n / ov : ov / n
		met = (rl <= g && ro <= g) ? "met" : "MISSED"
		if (mf == "")
			m = "| - | - "
		else
			m = sprintf("| %s %s | %.2f ", f(mf * s), u,
			    b == "high" ? n / mf : mf / n)
		printf "| %s | %s %s | %s %s | %.2f | %s %s | %.2f %s| <= %.1f | %s |\n",
		    l, f(n * s), u, f(lo * s), u, rl, f(ov * s), u, ro, m, g, met
	}'
}

{
	echo "### flac name spaces"
	echo
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, kernel $(uname -r), by"
	echo "\`tools/bench-flac.sh\` (BENCH_ROUNDS=$ROUNDS; each figure the median of the"
	echo "rounds, native, local() and overlay interleaved).  \"local()\" is"
	echo "\`root local()\`; \"overlay\" is the copy-on-write union of 5.2.3 over the"
	echo "tree used (most files in the read-only layer, 10 of the 60 small files"
	echo "copied up; /usr and the C project are each the read-only layer of their"
	echo "own union).  A ratio is flac's time over native time (for throughput,"
	echo "native over flac): 1.00 is free.  \"mergerfs\" is the same overlay through"
	echo "mergerfs $(mergerfs --version 2>/dev/null | head -1 | awk '{ print $NF }') (FUSE; writable branch over the read-only one,"
	echo "cache.files=off), measured in the same run; its ratio is to native too."
	echo
	echo "| benchmark | native | local() | ratio | overlay | ratio | mergerfs | ratio | goal | |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	row "stat, per call" stat us 0.001 2 low
	row "open+close, per call" open us 0.001 2 low
	row "sequential read, 256 MiB" read MB/s 1 1.1 high
	row "grep -r /usr/include" grep s 1 2 low
	row "find /usr" find s 1 2 low
	row "gcc build, 41 files (make)" gcc s 1 1.5 low
} | tee "$O/bench-flac.md"
. tools/bench-lib.sh
bench_section flac-bench "$O/bench-flac.md"
