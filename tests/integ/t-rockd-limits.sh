#!/usr/bin/env bash
# rockd's limits on suspended connections.  Two rockds on the proxy host:
# one keeps at most 1 suspended connection (--max-suspended 1), the other
# keeps one at most 3 s (--max-age 3).  Three rock clients (two through the
# first, one through the second) lose their link for 8 s.  The first rockd
# drops one of its two and logs it; the other resumes and its bytes arrive
# intact; the second rockd drops its connection at 3 s and logs it; the
# dropped clients fail (their rockd no longer knows the connection).
. "$(dirname "$0")/../lib.sh"
lib_init rockd-limits
need_root
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKD=$PWD/$O/bin/rockd
TCPIO=$PWD/$O/tests/helpers/tcpio
for f in "$ROCK" "$ROCKD" "$TCPIO"; do
	[ -x "$f" ] || fail "build first ($O): no $f"
done

host_add client
host_add proxy
host_add server
S=$(host_ip server)
P=$(host_ip proxy)
host_bg server "$T/server.log" "$TCPIO" listen 0.0.0.0 9000 \
    --send-random 1M --seed 4 --sha256 --timeout 90 >/dev/null
wait_listen server 9000 5 || fail "the server did not start"
host_bg proxy "$T/count.log" env EVICT_LOG_LEVEL=info "$ROCKD" \
    --listen 7000 --to "$S:9000" --max-suspended 1 >/dev/null
host_bg proxy "$T/age.log" env EVICT_LOG_LEVEL=info "$ROCKD" \
    --listen 7001 --to "$S:9000" --max-age 3 >/dev/null
wait_listen proxy 7000 5 && wait_listen proxy 7001 5 || fail "rockd did not start"

"$TCPIO" gen 1M --seed 9 >"$T/up.bin"
want_up=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
want_down=$("$TCPIO" gen 1M --seed 4 --sha256)
client() {   # NAME PORT: sends up.bin 12 s after connecting
	hexec client env EVICT_LOG_LEVEL=info timeout 60 "$ROCK" sh -c \
	    "{ sleep 12; cat '$T/up.bin'; } | '$TCPIO' connect $P $2 --sha256 --timeout 50" \
	    >"$T/$1.out" 2>"$T/$1.log"
}
client a 7000 &
a=$!
client b 7000 &
b=$!
client c 7001 &
c=$!
lib_sleep 1.5
link_down client
lib_sleep 8
link_up client
wait "$a"; ra=$?
wait "$b"; rb=$?
wait "$c"; rc=$?
lib_note "exit codes: a $ra, b $rb, c $rc"

[ "$rc" -ne 0 ] || fail "the client dropped by max-age went on"
grep -q 'limit: dropped.*max-age 3' "$T/age.log" || fail "no max-age drop logged"
if [ "$ra" -eq 0 ]; then ok=a; [ "$rb" -ne 0 ] || fail "both clients of the first rockd went on"
elif [ "$rb" -eq 0 ]; then ok=b
else fail "neither client of the first rockd resumed: $(tail -2 "$T/a.log")"
fi
grep -q 'limit: dropped.*max-suspended 1' "$T/count.log" || fail "no max-suspended drop logged"
[ "$(cat "$T/$ok.out")" = "$want_down" ] || fail "the survivor's bytes from the server differ"
for _ in $(seq 100); do
	n=$(grep -cx "$want_up" "$T/server.log")
	[ "$n" -ge 1 ] && break
	lib_sleep 0.1
done
[ "$n" -eq 1 ] || fail "the server got the survivor's bytes intact $n times, want 1"
pass "max-suspended dropped one of two suspended rocks, max-age one after 3 s, both logged; the survivor resumed byte-exact"
