#!/usr/bin/env bash
# make demo: the project's main job on a default that needs no
# configuration.  Two test hosts (network namespaces linked by a router);
# on the server host, an enhanced server (plain and speaking first), real
# OpenSSH sshd, redis-server and nginx, and small peers that close, reset,
# send data first, reply after reading, or stay silent.  The client host
# runs the enhancement detection protocol against each and prints what it
# found and how long it took, beside a plain TCP connect to the same port.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
. tests/lib-peers.sh
lib_init demo
need_root

EDP=$PWD/$O/bin/edp
PEER=$PWD/$O/tests/helpers/edp-peer

host_add client
host_add server
S=$(host_ip server)
host_bg server "$T/enh.log" "$EDP" serve 7000 >/dev/null
host_bg server "$T/enh-b.log" "$EDP" serve --banner 'SSH-2.0-evict-demo' 7001 >/dev/null
for m in close:7101 reset:7102 banner:7103 reply:7104 silent:7105; do
	host_bg server "$T/peer-${m%%:*}.log" "$PEER" server "${m%%:*}" "${m##*:}" >/dev/null
done
peer_sshd server 22 >/dev/null || fail "could not start sshd"
peer_redis server 6379 >/dev/null || fail "could not start redis-server"
peer_nginx server 80 >/dev/null || fail "could not start nginx"
for p in 7000 7001 7101 7102 7103 7104 7105; do
	wait_listen server "$p" 5 || fail "nothing listens on port $p"
done

echo
echo "evict demo: the enhancement detection protocol between two test hosts"
echo "client $(host_ip client)  ->  server $S (network namespaces, through a router)"
echo
printf '%-28s %-22s %10s %10s %10s  %s\n' "server" "detected" "connect" \
    "detected" "ready" "what the program got"
printf '%-28s %-22s %10s %10s %10s\n' "" "" "(ms)" "in (ms)" "in (ms)"
row() {
	local label=$1 port=$2 send=$3 out v c d t reply
	out=$(hexec client "$EDP" probe -p -s "$send" -r 700 "$S" "$port" 2>/dev/null)
	v=$(echo "$out" | sed -n 's/.* verdict=\([^ ]*\).*/\1/p')
	c=$(echo "$out" | sed -n 's/.* connect_us=\([0-9.]*\).*/\1/p')
	d=$(echo "$out" | sed -n 's/.* detect_us=\([0-9.]*\).*/\1/p')
	t=$(echo "$out" | sed -n 's/.* total_us=\([0-9.]*\).*/\1/p')
	reply=$(echo "$out" | sed -n 's/^reply: //p' | cut -c1-34)
	REPLY_TEXT=$reply awk -v l="$label" -v v="${v:-error}" -v c="${c:-0}" -v d="${d:-0}" \
	    -v t="${t:-0}" 'BEGIN { printf "%-28s %-22s %10.3f %10.3f %10.3f  %s\n", l, v, c / 1000, d / 1000, t / 1000, ENVIRON["REPLY_TEXT"] }'
}
row "edp serve (enhanced)" 7000 'hello\n'
row "edp serve, speaks first" 7001 'hello\n'
row "OpenSSH sshd" 22 ''
row "redis-server" 6379 'PING\r\n'
row "nginx" 80 'HEAD / HTTP/1.0\r\n\r\n'
row "peer that closes" 7101 ''
row "peer that resets" 7102 ''
row "peer that sends first" 7103 ''
row "peer that replies to EOF" 7104 ''
row "silent peer" 7105 ''
echo
echo "'connect' is the probe's TCP connect, i.e. what a plain client pays."
echo "Enhanced servers also negotiate and run the 'kx' enhancement (X25519"
echo "key agreement with key confirmation) before 'ready'.  The silent peer"
echo "costs max(20 x connect time, 50 ms), as section 3.2 of the dissertation"
echo "prescribes a multiple of the connect time."
lib_cleanup >/dev/null 2>&1
pass "demo finished"
