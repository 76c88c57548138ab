#!/usr/bin/env bash
# EDP across two test hosts: an enhanced server (plain and speaking first)
# is detected and negotiated; real ordinary servers (OpenSSH sshd,
# redis-server, nginx) and a small peer for each way an ordinary server can
# behave are classified correctly, and the connection the program gets
# afterwards works exactly like a plain one.  An ordinary client of the
# enhanced server is served as if nothing were there (SHA-256 of 2 MiB).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-peers.sh"
lib_init edp-classify
need_root
need_cmd /usr/sbin/sshd redis-server nginx ssh-keygen
O=${O:-build}
EDP=$PWD/$O/bin/edp
PEER=$PWD/$O/tests/helpers/edp-peer
TCPIO=$PWD/$O/tests/helpers/tcpio
[ -x "$EDP" ] && [ -x "$PEER" ] && [ -x "$TCPIO" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)

host_bg server "$T/enh.log" "$EDP" serve 7000 >/dev/null
host_bg server "$T/enh-banner.log" "$EDP" serve --banner 'SSH-2.0-evict' 7001 >/dev/null
for m in close:7101 reset:7102 banner:7103 reply:7104 silent:7105; do
	host_bg server "$T/peer-${m%%:*}.log" "$PEER" server "${m%%:*}" "${m##*:}" >/dev/null
done
peer_sshd server 22 >/dev/null || fail "sshd"
peer_redis server 6379 >/dev/null || fail "redis-server"
peer_nginx server 80 >/dev/null || fail "nginx"
for p in 7000 7001 7101 7102 7103 7104 7105; do
	wait_listen server "$p" 5 || fail "nothing listens on port $p"
done

# probe PORT EXPECTED_VERDICT [SEND [EXPECTED_REPLY_SUBSTRING]]
probe() {
	local port=$1 want=$2 send=${3:-} expect=${4:-} out verdict
	if [ $# -ge 3 ]; then
		out=$(hexec client "$EDP" probe -p -s "$send" -r 1500 "$S" "$port" 2>&1)
	else
		out=$(hexec client "$EDP" probe -p "$S" "$port" 2>&1)
	fi
	echo "$out" >>"$T/probes.log"
	verdict=$(echo "$out" | sed -n 's/.* verdict=\([^ ]*\).*/\1/p')
	[ "$verdict" = "$want" ] ||
		fail "port $port: verdict '$verdict', expected '$want': $out"
	if [ -n "$expect" ]; then
		echo "$out" | grep '^reply: ' | grep -qF -- "$expect" ||
			fail "port $port: reply lacks '$expect': $out"
	fi
	lib_note "port $port: $verdict"
}

probe 7000 enhanced 'hello\n' 'reply: hello\n'
grep -q 'chosen=kx:1' "$T/probes.log" || fail "kx was not negotiated"
# a server that speaks first: its banner reaches the program first, once
probe 7001 enhanced 'hello\n' 'reply: SSH-2.0-evict\r\nhello\n'
probe 7101 ordinary-closes
probe 7102 ordinary-resets
probe 7103 ordinary-sends-data '' '220 edp-peer ready'
probe 7104 ordinary-sends-data
probe 7105 ordinary-silent
probe 22 ordinary-sends-data '' 'reply: SSH-2.0-OpenSSH'
probe 6379 ordinary-closes 'PING\r\n' 'reply: +PONG\r\n'
probe 80 ordinary-closes 'GET /index.html HTTP/1.0\r\n\r\n' 'evict test page'

# The silent case waits a multiple of the connect time, never much more.
ms=$(hexec client "$EDP" probe -p -t 30 "$S" 7105 | sed -n 's/.*detect_us=\([0-9]*\).*/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 2000000 ] || fail "silent detection took ${ms:-?} us"

# IPv6 works the same (inside the server host, on loopback).
out=$(hexec server "$EDP" probe -p ::1 7000)
echo "$out" | grep -q 'verdict=enhanced' || fail "IPv6: $out"

# An ordinary client of the enhanced server: served as if nothing were there.
want=$("$TCPIO" gen 2M --seed 7 --sha256)
got=$(hexec client "$TCPIO" connect "$S" 7000 --send-random 2M --seed 7 --sha256 --timeout 20) ||
	fail "ordinary client of the enhanced server failed"
[ "$got" = "$want" ] || fail "echo through the enhanced server: sha $got, want $want"

# A real client program (redis-cli) against the enhanced server's neighbour
# and an ssh session to the real sshd: unaffected by the probes above.
out=$(hexec client redis-cli -h "$S" -p 6379 PING)
[ "$out" = PONG ] || fail "redis-cli after probing: $out"
out=$(hexec client ssh -i "$T/id_peer" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -p 22 "root@$S" echo via-ssh 2>/dev/null)
[ "$out" = via-ssh ] || fail "ssh to the probed sshd: '$out'"

pass "EDP: enhanced (plain, speaks first, IPv6) and 8 ordinary behaviours classified; data intact"
