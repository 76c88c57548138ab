#!/usr/bin/env bash
# bench-flacremote: flac's remote services (rpc: flac-rpcd; sftp: OpenSSH's
# sftp-server) on two test hosts, "srv" serving a tree, "lap" running flacd
# and tests/helpers/flac-bench under `flac -f -d` with
# transfer(cache, SERVICE, pull, FAIL, NONE) at /data.  Sections:
#   metadata   the freshness check of an open (the runtime asks flacd,
#              flacd stats the file on the service): per open+close, the
#              time against the link's round trip (ping, same run), the
#              requests the runtime sends flacd (strace -c of its poll
#              calls, in a separate run), and the requests that cross the
#              link (TCP segments carrying data from lap to the service's
#              port, counted by an iptables rule on the router)
#   read       a pulled file read under flac against the same file read
#              natively (its cache copy): MB/s and the ratio; the pull of
#              it on the first open, for scale
# Each timing is the median of BENCH_ROUNDS (default 5).  BENCH_MB (128)
# sizes the read.  The table goes to $O/bench-flacremote.md and
# docs/BENCHMARKS.md (section flacremote-bench).  A section is a function
# sec_NAME that measures and appends table rows to $T/rows-NAME, and
# doc_NAME that prints its text and table; the "find and grep -r over rpc
# against sshfs" comparison slots in as one more (see SECTIONS).
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
. tests/lib-peers.sh
. tools/bench-lib.sh
lib_init bench-flacremote
need_root
need_cmd strace ping /usr/sbin/sshd
ROUNDS=${BENCH_ROUNDS:-5}
MB=${BENCH_MB:-128}
NOPS=${BENCH_OPS:-200}
RAN=()
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
RPCD=$PWD/$O/bin/flac-rpcd
HB=$PWD/$O/tests/helpers/flac-bench
for f in "$FLAC" "$FLACD" "$RPCD" "$HB"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add srv
host_add lap
SRV=$(host_ip srv)
LAP=$(host_ip lap)
R=$T/served
mkdir -p "$R"
for i in $(seq 1 20); do
	echo "small file $i" >"$R/f$i"
done
head -c $((MB * 1048576)) /dev/urandom >"$R/big"
SMALL=()
for i in $(seq 1 20); do SMALL+=("/data/f$i"); done

K=$T/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K"
chmod 600 "$K"
host_bg srv "$T/rpcd.log" env EVICT_LOG_LEVEL=warn "$RPCD" -F --root "$R" \
    --key "$K" --listen 0.0.0.0:7410 >/dev/null
wait_listen srv 7410 10 || fail "flac-rpcd did not start"
peer_sshd srv 2222 >/dev/null || fail "sshd did not start"
echo "[$SRV]:2222 $(cut -d' ' -f1,2 "$T/sshd-srv-2222/hostkey.pub")" >"$T/known_hosts"
export FLACD_SOCKET=$T/flacd.sock
host_bg lap "$T/flacd.log" env FLACD_SOCKET="$FLACD_SOCKET" EVICT_LOG_LEVEL=warn \
    FLAC_RPC_KEY="$K" FLAC_SFTP_IDENTITY="$T/id_peer" \
    FLAC_SFTP_KNOWN_HOSTS="$T/known_hosts" HOME="$T" \
    "$FLACD" -F -s "$FLACD_SOCKET" >/dev/null
for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
[ -S "$FLACD_SOCKET" ] || fail "flacd did not start: $(cat "$T/flacd.log")"

# the services: NAME PORT TEXT
SVCS=(
	"rpc 7410 rpc(host=\"$SRV\", port=7410)"
	"sftp 2222 sftp(host=\"$SRV\", user=\"root\", port=2222, path=\"$R\")"
)
for s in "${SVCS[@]}"; do
	read -r name _ text <<<"$s"
	mkdir -p "$T/cache-$name"
	printf 'root overlay(extendtree(transfer(subtree(local(), %s), %s, pull, FAIL, NONE), /data), local())\n' \
	    "$T/cache-$name" "$text" >"$T/$name.flac"
done

# on_lap NAME CMD...: CMD under flac with NAME's specification, on lap
on_lap() {
	local name=$1
	shift
	hexec lap env FLACD_SOCKET="$FLACD_SOCKET" "$FLAC" -f "$T/$name.flac" -d -- "$@"
}
# median of the numbers on stdin
median() { bench_median; }
# segments PORT: TCP segments with data lap has sent to srv's PORT so far
ipt_rule() {
	echo "FORWARD -s $LAP -d $SRV -p tcp --dport $1 -m length --length 53:65535 -m comment --comment ev-bench-$1"
}
segments() {
	router_exec iptables -w 5 -L FORWARD -v -x -n |
	    awk -v c="ev-bench-$1" 'index($0, c) { print $1; exit }'
}

# ---- the link ----------------------------------------------------------------
rtt_us=$(hexec lap ping -q -c 50 -i 0.01 "$SRV" 2>/dev/null |
    awk -F'/' '/^rtt/ { printf "%.1f", $5 * 1000 }')
[ -n "$rtt_us" ] || fail "ping lap -> srv"

# ---- sections -------------------------------------------------------------------

# metadata: per open+close of a file the cache has and the service did not
# change (the pull's freshness check)
sec_metadata() {
	local s name port v i n0 n1 polls t native
	for s in "${SVCS[@]}"; do
		read -r name port _ <<<"$s"
		# the first open pulls every file; the runs after only check
		on_lap "$name" "$HB" open 1 "${SMALL[@]}" >/dev/null ||
			fail "$name: the first open: $(tail -3 "$T/flacd.log")"
		# shellcheck disable=SC2046 # the rule's words
		router_exec iptables -w 5 -I $(ipt_rule "$port") || fail "iptables"
		: >"$T/t-$name"
		: >"$T/n-$name"
		for i in $(seq 1 "$ROUNDS"); do
			n0=$(segments "$port")
			v=$(on_lap "$name" "$HB" open "$((NOPS / 20))" "${SMALL[@]}" | awk '{ print $3 }')
			n1=$(segments "$port")
			[ -n "$v" ] || fail "$name: flac-bench open"
			echo "$v" >>"$T/t-$name"
			echo $(((n1 - n0) * 1000 / NOPS)) >>"$T/n-$name"
		done
		# shellcheck disable=SC2046
		router_exec iptables -w 5 -D $(ipt_rule "$port")
		# requests to flacd: one poll(2) for each reply the runtime waits for
		on_lap "$name" strace -f -c -e trace=poll -o "$T/strace-$name" \
		    "$HB" open "$((NOPS / 20))" "${SMALL[@]}" >/dev/null
		polls=$(awk '$NF == "poll" { print $4 }' "$T/strace-$name")
		t=$(median <"$T/t-$name")
		native=$(for i in $(seq 1 "$ROUNDS"); do
			"$HB" open "$((NOPS / 20))" "$T/cache-$name/f"{1..20} | awk '{ print $3 }'
		done | median)
		awk -v n="$name" -v t="$t" -v r="$rtt_us" -v p="${polls:-0}" -v ops="$NOPS" \
		    -v seg="$(median <"$T/n-$name")" -v nat="$native" 'BEGIN {
			printf "| %s: open+close, freshness check | %.1f us | %.2f | %.2f | %.2f | %.1f us | %.1f us |\n",
			    n, t / 1000, t / 1000 / r, p / ops, seg / 1000, r, nat / 1000
		}' >>"$T/rows-metadata"
	done
}

# read: a pulled file under flac against its cache copy read natively
sec_read() {
	local s name i t0 t1 pull fl nat
	for s in "${SVCS[@]}"; do
		read -r name _ <<<"$s"
		rm -f "$T/cache-$name/big"
		t0=$(lib_now_ms)
		on_lap "$name" "$HB" read /data/big >/dev/null || fail "$name: the pull of big"
		t1=$(lib_now_ms)
		[ "$(sha256_of "$T/cache-$name/big")" = "$(sha256_of "$R/big")" ] ||
			fail "$name: the pulled copy differs"
		pull=$(awk -v mb="$MB" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", mb * 1.048576 / (ms / 1000) }')
		: >"$T/rf-$name"
		: >"$T/rn-$name"
		for i in $(seq 1 "$ROUNDS"); do
			on_lap "$name" "$HB" read /data/big | awk '{ print $3 }' >>"$T/rf-$name"
			"$HB" read "$T/cache-$name/big" | awk '{ print $3 }' >>"$T/rn-$name"
		done
		fl=$(median <"$T/rf-$name")
		nat=$(median <"$T/rn-$name")
		awk -v n="$name" -v f="$fl" -v x="$nat" -v p="$pull" -v mb="$MB" 'BEGIN {
			printf "| %s: read of a pulled %d MiB file | %.0f MB/s | %.0f MB/s | %.2f | %s MB/s |\n",
			    n, mb, x, f, x / f, p
		}' >>"$T/rows-read"
	done
}

# doc_NAME: the section's text and table, from $T/rows-NAME
doc_metadata() {
	echo "An open of a file the cache has asks flacd whether the service's copy"
	echo "is newer (one stat on the service).  \"flacd requests\" is the"
	echo "runtime's poll(2) calls per open (strace -c, a separate run); \"link"
	echo "requests\" the TCP segments carrying data from the laptop to the"
	echo "service's port per open (an iptables counter on the router).  \"native\""
	echo "opens the cache's copy."
	echo
	echo "| operation | time | / RTT | flacd requests | link requests | RTT (ping) | native |"
	echo "|---|---|---|---|---|---|---|"
	cat "$T/rows-metadata"
	echo
	echo "One request to flacd per open (the .01 is the runtime's hello and"
	echo "session load, once per process).  Over the link, each check is one"
	echo "request, the STAT: both services' isavailable answer from the"
	echo "connection they hold (a link that died under it makes the STAT fail"
	echo "with ENOTCONN and the transfer asks again, flac/daemon/xfer.c)."
}
doc_read() {
	echo "A file pulled once is a real file of the cache: read under flac, it"
	echo "reads at the speed of the same file read natively (ratio native /"
	echo "flac; 1.00 is free).  The last column is the pull itself, on the"
	echo "first open."
	echo
	echo "| read | native | flac | ratio | pull |"
	echo "|---|---|---|---|---|"
	cat "$T/rows-read"
}

# The sections, in order; BENCH_SECTIONS="read" runs only those.  One more
# (find and grep -r over rpc against sshfs) is a sec_NAME and a doc_NAME.
SECTIONS=(metadata read)
for sec in "${SECTIONS[@]}"; do
	if [ -n "${BENCH_SECTIONS:-}" ] && ! echo " $BENCH_SECTIONS " | grep -q " $sec "; then
		continue
	fi
	: >"$T/rows-$sec"
	"sec_$sec"
	RAN+=("$sec")
done

out=$O/bench-flacremote.md
{
	echo "### flac's remote services"
	echo
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, kernel $(uname -r), by"
	echo "\`tools/bench-flacremote.sh\` (BENCH_ROUNDS=$ROUNDS, BENCH_MB=$MB, medians): flac-rpcd"
	echo "and OpenSSH's sftp-server on one test host, flacd and the program on"
	echo "another (veth through a router namespace, unshaped), a transfer"
	echo "(cache, SERVICE, pull, FAIL, NONE) at /data."
	for sec in "${RAN[@]}"; do
		echo
		"doc_$sec"
	done
} >"$out"
bench_section flacremote-bench "$out"
cat "$out"
pass "flac remote benchmarks written to docs/BENCHMARKS.md"
