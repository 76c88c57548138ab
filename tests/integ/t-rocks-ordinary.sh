#!/usr/bin/env bash
# A rock client against ordinary servers behaves exactly like a plain
# client: the EDP finds no rocks there and the program gets a plain
# connection.  Real programs: redis-cli against redis-server, curl against
# nginx (SHA-256 of a 4 MiB download; curl's connects are non-blocking, a
# closed port too), ssh against OpenSSH sshd; each output under rock equals
# the output without it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-peers.sh"
lib_init rocks-ordinary
need_root
need_cmd redis-server redis-cli nginx curl ssh /usr/sbin/sshd
O=${O:-build}
ROCK=$PWD/$O/bin/rock
[ -x "$ROCK" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)
peer_redis server 6379 >/dev/null || fail "redis-server"
peer_nginx server 80 >/dev/null || fail "nginx"
peer_sshd server 22 >/dev/null || fail "sshd"
big=$(sha256_of "$T/nginx-server-80/www/big.bin")

both() {        # both NAME CMD...: run plain and under rock, compare
	local name=$1 a b
	shift
	a=$(hexec client "$@" 2>&1) || fail "$name (plain) failed: $a"
	b=$(hexec client env EVICT_LOG_LEVEL=warn "$ROCK" "$@" 2>&1) ||
		fail "$name under rock failed: $b"
	[ "$a" = "$b" ] || fail "$name: under rock '$b', plain '$a'"
	lib_note "$name: same output"
}

hexec client redis-cli -h "$S" SET k evict >/dev/null
both redis-cli redis-cli -h "$S" GET k
both redis-cli-info sh -c "redis-cli -h $S DBSIZE"
if [ -n "${EVICT_SANITIZED:-}" ]; then
	# curl with a preloaded libasan hangs in setlocale, without evict too
	lib_note "curl left out: this build preloads libasan"
else
	# curl connects without blocking: EINPROGRESS, then poll and SO_ERROR
	both curl-index curl -sS "http://$S/index.html"
	both curl-refused sh -c "curl -sS http://$S:81/ >'$T/refused' 2>&1; echo exit \$?;
	    sed 's/after [0-9]* ms/after N ms/' '$T/refused'"
	both curl-big sh -c "curl -sS http://$S/big.bin | sha256sum | cut -c1-64"
	[ "$(hexec client "$ROCK" sh -c "curl -sS http://$S/big.bin | sha256sum | cut -c1-64")" = "$big" ] ||
		fail "download under rock differs from the file"
fi
SSH=(ssh -i "$T/id_peer" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o BatchMode=yes -o LogLevel=ERROR "root@$S")
both ssh "${SSH[@]}" 'echo hello; seq 1 500 | sha256sum'
pass "redis-cli, curl and ssh under rock: same output as plain against ordinary servers"
