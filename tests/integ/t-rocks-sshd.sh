#!/usr/bin/env bash
# `rock ssh` to `rock sshd`: a session streaming 16 MiB survives a 30 s
# outage of the client's link and then a change of the client's address,
# byte-exact.  sshd re-executes itself per connection and serves it from
# forked, sandboxed children; the connection is a rock all along (carried
# undecided across the re-exec, then held by a rocks-keeper from the first
# fork), which rockctl shows on both hosts, so a plain fallback fails.
. "$(dirname "$0")/../lib.sh"
lib_init rocks-sshd
need_root
need_cmd /usr/sbin/sshd ssh ssh-keygen sha256sum
O=${O:-build}
ROCK=$PWD/$O/bin/rock
ROCKCTL=$PWD/$O/bin/rockctl
TCPIO=$PWD/$O/tests/helpers/tcpio
[ -x "$ROCK" ] && [ -x "$ROCKCTL" ] && [ -x "$TCPIO" ] &&
	[ -x "$O/lib/rocks-keeper" ] || fail "build first ($O)"

host_add client
host_add server
S=$(host_ip server)
shape server 8mbit      # 16 MiB take about 17 s: mid-stream for both faults

# a test-owned sshd: host key, authorized key, config, port
D=$T/sshd
mkdir -p "$D" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$D/hostkey" </dev/null >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/id" </dev/null >/dev/null
cp "$T/id.pub" "$D/authorized_keys"
chmod 600 "$D/authorized_keys"
cat >"$D/sshd_config" <<CONF
Port 2322
ListenAddress 0.0.0.0
HostKey $D/hostkey
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
CONF
host_bg server "$T/sshd.log" env EVICT_LOG_LEVEL=info \
    EVICT_LOG_FILE="$T/server-rocks.log" "$ROCK" /usr/sbin/sshd -D -e \
    -f "$D/sshd_config" >/dev/null
wait_listen server 2322 5 || fail "sshd under rock did not start"

want=$("$TCPIO" gen 16M --seed 11 | sha256sum | cut -d' ' -f1)
hexec client env EVICT_LOG_LEVEL=info EVICT_LOG_FILE="$T/client-rocks.log" \
    "$ROCK" ssh -i "$T/id" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
    -p 2322 "root@$S" "$TCPIO gen 16M --seed 11" \
    >"$T/stream" 2>"$T/ssh.err" &
cli=$!

# the session is a rock at both ends, the server's held by a keeper
ok=0
for _ in $(seq 1 50); do
	if hexec server "$ROCKCTL" list 2>/dev/null | grep -q 'rocks-keeper.*CONNECTED' &&
	    hexec client "$ROCKCTL" list 2>/dev/null | grep -q 'ssh.*CONNECTED'; then
		ok=1
		break
	fi
	lib_sleep 0.1
done
[ "$ok" = 1 ] || fail "no rock: server $(hexec server "$ROCKCTL" list 2>&1 | tail -1); client $(hexec client "$ROCKCTL" list 2>&1 | tail -1)"
hexec server "$ROCKCTL" list >"$T/rockctl-server.txt" 2>&1

lib_sleep 2
before=$(stat -c %s "$T/stream")
link_down client
lib_note "client link down at $before bytes"
lib_sleep 30
link_up client
lib_sleep 3
kill -0 "$cli" 2>/dev/null || fail "the stream ended before the address change"
new=$(addr_change client) || fail "addr_change client"
lib_note "client moved to $new at $(stat -c %s "$T/stream") bytes"

wait "$cli"
rc=$?
got=$(sha256sum <"$T/stream" | cut -d' ' -f1)
[ "$rc" -eq 0 ] || fail "ssh exited $rc: $(tail -3 "$T/ssh.err")"
[ ! -s "$T/ssh.err" ] || fail "ssh said: $(head -3 "$T/ssh.err")"
[ "$before" -gt 0 ] && [ "$before" -lt $((16 << 20)) ] ||
	fail "the outage was not mid-stream ($before bytes before it)"
[ "$got" = "$want" ] || fail "stream: sha $got ($(stat -c %s "$T/stream") bytes), want $want"
n=$(grep -c 'resumed after' "$T/client-rocks.log")
[ "$n" -ge 2 ] || fail "expected a reconnection for the outage and the move, saw $n"
pass "rock ssh to rock sshd: 16 MiB intact across a 30 s outage and an address change ($n reconnections, server side held by rocks-keeper)"
