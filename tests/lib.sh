# shellcheck shell=bash
# tests/lib.sh: test hosts, faults and cleanup for tests/integ/t-*.sh.
#
# A "host" is a network namespace.  Every host hangs off one router
# namespace by a veth pair and gets its own /28 carved from the
# documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24
# (48 hosts at most per test): the router has .1 of the /28 (base+1), the
# host another address in it (base+2 at first) and a default route via the
# router.  The router has no uplink and no default route, so nothing leaves
# the machine; the root namespace's interfaces, routes and iptables are
# never touched (veths are created directly inside the namespaces).
#
# Names are unique per test run: namespaces are "ev<pid>-r" (router) and
# "ev<pid>-h-NAME", interfaces "ev<pid>h<i>" (host end) and "ev<pid>r<i>"
# (router end), where <pid> is the pid of the shell that called lib_init.
# A namespace left by a test that was SIGKILLed (its pid gone) is removed,
# with the processes in it, the next time a test creates its router.
#
# Usage in a test:
#     . "$(dirname "$0")/../lib.sh"
#     lib_init my-test; need_root
#     host_add a; host_add b
#     host_bg b "$T/srv.log" tcpio listen 0.0.0.0 5000 --once >/dev/null
#     srv=$LIB_BG_PID; wait_listen b 5000 || fail "no listener"
#     hexec a tcpio connect "$(host_ip b)" 5000 </dev/null || fail "..."
#     wait_pid "$srv" 5 || fail "..."; pass "what was shown"
#
# Set-up and verdicts
#   lib_init TESTNAME   state, per-test temp dir $T (mktemp -d), the name
#                       prefix $LIB_PFX, and an
#                       EXIT/INT/TERM/HUP trap that stops recorded pids (TERM,
#                       then KILL after a bounded wait) and every process
#                       left in the test's namespaces, deletes the namespaces
#                       (with their veths, iptables rules and qdiscs) and
#                       removes $T, unless the test failed and KEEP_LOGS is
#                       set.  On failure the tail of each $T/*.log goes to
#                       stderr.  A test that exits without a verdict (e.g.
#                       under set -e) gets a "FAIL:" line naming the command.
#   need_root           exit 77 (SKIP) unless root and `ip netns add` works
#   need_cmd CMD...     exit 77 (SKIP) naming the first missing command
#   skip MSG            prints "SKIP: MSG", exit 77
#   fail MSG            prints "FAIL: MSG", exit 1
#   pass MSG            prints "PASS: MSG", exit 0
#   lib_note MSG        progress line "# MSG" on stderr
#   lib_now_ms          prints wall-clock milliseconds (for durations)
#   lib_sleep SECONDS   sleep that a TERM/INT interrupts at once
#   sha256_of FILE      prints the hex SHA-256 of FILE
#
# Hosts
#   host_add NAME       creates host NAME ([A-Za-z0-9_], up to 20 chars)
#   host_ip NAME        prints the host's IPv4 address (the one addr_restore
#                       puts back while it is removed)
#   router_ip NAME      prints the router's address on NAME's link
#   host_subnet NAME    prints NAME's subnet, e.g. 192.0.2.16/28
#   host_ns NAME        prints NAME's namespace; router_ns prints the router's
#   host_if NAME        prints the host end's interface name
#   router_if NAME      prints the router end's interface name
#   hexec NAME CMD...   runs CMD inside NAME (ip netns exec)
#   router_exec CMD...  runs CMD inside the router
#
# Processes
#   host_bg NAME LOGFILE CMD...
#                       starts CMD in the background inside NAME, stdin
#                       /dev/null, stdout and stderr to LOGFILE; records the
#                       pid for cleanup, sets LIB_BG_PID and prints the pid.
#                       Works inside $(...) too (the record is a file).  To
#                       feed a file: host_bg a log sh -c 'exec cmd <file'.
#   stop_pid PID        TERM, bounded wait (3 s), then KILL, one recorded pid;
#                       returns 1 if PID was not started by host_bg
#   wait_pid PID [TIMEOUT_S]
#                       waits (default 10 s) for PID to end; returns its exit
#                       status when host_bg was called in this very shell
#                       (not in $(...)), else 0; 124 on timeout
#   wait_tcp NAME ADDR PORT [TIMEOUT_S]
#                       waits (default 5 s) until ADDR:PORT accepts a TCP
#                       connection made from inside NAME; returns 1 on
#                       timeout.  Each try is a real connection that is closed
#                       at once: for a `tcpio listen --once` use wait_listen.
#   wait_listen NAME PORT [TIMEOUT_S]
#                       waits (default 5 s) until something in NAME listens
#                       on TCP PORT (ss; no connection is made)
#
# Faults (undone by the matching call or by cleanup; _on/_off, link_* and
# shape/unshape may be repeated)
#   link_down NAME      the host's own veth end down: its routes go, sends
#                       fail locally, the router end loses carrier
#   link_up NAME        back up, default route restored
#   addr_change NAME    renumbers NAME to the next free address in its /28
#                       (flush, add, default route again); prints it
#   addr_remove NAME    flushes NAME's IPv4 address (and so its routes)
#   addr_restore NAME   puts back the address host_ip prints, and the route
#   nat_on NAME         MASQUERADE traffic from NAME's subnet as it leaves the
#                       router toward other hosts: they see router_ip OTHER.
#                       TCP and UDP source ports are mapped into 20000-29999.
#   nat_remap NAME      a NAT rebinding: the port range flips between
#                       20000-29999 and 40000-49999 and the router's
#                       conntrack entries from NAME's subnet are deleted
#                       (conntrack -D), so flows in progress get a new outside
#                       port on their next packet and the peer answers with a
#                       RST.  Needs conntrack(8); skips without it.
#   nat_off NAME        removes NAT for NAME (and its conntrack entries)
#   blackhole_on NAME / blackhole_off NAME
#                       iptables DROP in the router's FORWARD chain of every
#                       packet to or from NAME (traffic to the router's own
#                       address is not forwarded and so not dropped)
#   reset_on NAME / reset_off NAME
#                       REJECT --reject-with tcp-reset of TCP forwarded to or
#                       from NAME: connects fail at once with ECONNREFUSED,
#                       established connections get a RST on their next
#                       segment
#   loss_on NAME PERCENT [in|out|both]
#                       drops each packet forwarded to ("in") and/or from
#                       ("out") NAME with probability PERCENT/100 (iptables
#                       statistic, random mode); default both, so a ping
#                       round trip is lost with 1-(1-p)^2 (75% for 50)
#   loss_off NAME
#   shape NAME RATE     token bucket (tbf) at RATE (tc units: 10mbit, 1gbit,
#                       500kbit, 2mbps = bytes) on NAME's egress and on the
#                       router's egress toward NAME; netem is not available
#   unshape NAME
#
# Things learnt the hard way on this kernel (6.x, iptables 1.8.9 nf_tables):
# - Conntrack runs in a namespace only while some rule needs it (here only
#   the NAT rules).  Removing the last such rule, even for a moment, unhooks
#   it, and NATed flows in progress then leave the router untranslated and
#   the peer resets them.  So a fault's rules are replaced new-before-old,
#   and nat_on / nat_off themselves break TCP flows in progress through the
#   router (as moving behind or out of a NAT would).
# - Taking a link down deletes the routes through it; link_up and
#   addr_restore put the default route back.
# - pid 1 here reaps orphans only now and then: a process started by
#   host_bg inside $(...) becomes a short-lived zombie after it is stopped.
#   Call `host_bg ... >/dev/null; pid=$LIB_BG_PID` to keep it a child (and
#   get its exit status from wait_pid).
# - A subshell whose status is tested, as in `( ... ) || rc=$?`, runs with
#   set -e off whatever it says; run it with & and `wait $!` instead.
# - A trap runs inside the redirections of the command it interrupts, so
#   lib_init keeps the test's stdout and stderr (fds $LIB_OUT, $LIB_ERR,
#   closed for hexec and host_bg commands) and the exit trap and verdicts
#   write there.  bash waits for a foreground command before running a
#   trap: use lib_sleep, and `timeout --foreground` (plain timeout moves
#   its command out of the test's process group, away from ^C).
#
# Every lib function reports misuse or a failed set-up step with a "FAIL:"
# line on the test's stdout and exit 1 (only the subshell when called
# inside $(...); the test then fails on the bad result).
# Every loop is bounded in count and in time.

LIB_NETS=(192.0.2 198.51.100 203.0.113)
LIB_MAX_HOSTS=48
LIB_NAT_RANGES=(20000-29999 40000-49999)

# Set-u-safe defaults, so that sourcing alone is harmless.
LIB_NAME=${LIB_NAME:-}
LIB_OWNER=${LIB_OWNER:-}
LIB_PFX=${LIB_PFX:-}
LIB_ST=${LIB_ST:-}
LIB_VERDICT=${LIB_VERDICT:-}
LIB_BG_PID=${LIB_BG_PID:-}
LIB_OUT=${LIB_OUT:-}
LIB_ERR=${LIB_ERR:-}
LIB_NS_ROUTER=${LIB_NS_ROUTER:-}
LIB_SIGNAL=
LIB_LEFT=
LIB_CHILDREN=()
T=${T:-}

# ---- small helpers ----------------------------------------------------------

# Verdicts go to the test's own stdout, saved by lib_init, so that they
# are seen even from inside $(...) or a redirected command.
lib__say() {
	if [ -n "${LIB_OUT:-}" ] && { true >&"$LIB_OUT"; } 2>/dev/null; then
		echo "$*" >&"$LIB_OUT"
	else
		echo "$*"
	fi
}

lib__die() {
	LIB_VERDICT=fail
	lib__say "FAIL: ${LIB_NAME:-test}: $*"
	exit 1
}

lib_note() {
	echo "# $*" >&2
}

lib_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# "1.5" -> 1500; an integer or decimal number of seconds.
lib__ms_of() {
	local s=$1 int frac
	[[ $s =~ ^[0-9]+(\.[0-9]+)?$ ]] || lib__die "not a number of seconds: '$s'"
	int=${s%%.*}
	frac=
	[[ $s == *.* ]] && frac=${s#*.}
	frac=${frac}000
	frac=${frac:0:3}
	echo $((10#$int * 1000 + 10#$frac))
}

lib__need_init() {
	if [ -z "$LIB_ST" ] || [ ! -d "$LIB_ST" ]; then
		lib__die "${FUNCNAME[1]}: call lib_init first"
	fi
}

sha256_of() {
	local out
	[ -r "${1:-}" ] || lib__die "sha256_of: cannot read '${1:-}'"
	out=$(sha256sum -- "$1") || lib__die "sha256_of: sha256sum $1 failed"
	echo "${out%% *}"
}

lib_sleep() {
	local p rc=0
	lib__need_init
	sleep "$1" &
	p=$!
	lib__record_pid "$p"
	wait "$p" || rc=$?
	lib__forget_pid "$p"
	return "$rc"
}

# ---- verdicts ---------------------------------------------------------------

skip() {
	LIB_VERDICT=skip
	lib__say "SKIP: $*"
	exit 77
}

fail() {
	LIB_VERDICT=fail
	lib__say "FAIL: $*"
	exit 1
}

pass() {
	LIB_VERDICT=pass
	lib__say "PASS: $*"
	exit 0
}

need_root() {
	local probe
	[ "$(id -u)" -eq 0 ] ||
		skip "${LIB_NAME:-test}: needs root (network namespaces, iptables, tc)"
	need_cmd ip iptables tc ss timeout sha256sum
	probe=ev$BASHPID-probe
	if ! ip netns add "$probe" 2>/dev/null; then
		skip "${LIB_NAME:-test}: cannot create network namespaces (ip netns add not permitted)"
	fi
	if ! ip netns exec "$probe" iptables -w 5 -S >/dev/null 2>&1; then
		ip netns del "$probe" 2>/dev/null
		skip "${LIB_NAME:-test}: iptables does not work inside a network namespace"
	fi
	ip netns del "$probe" 2>/dev/null || true
}

need_cmd() {
	local c pkg
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		case $c in
		ping)		pkg=iputils-ping ;;
		conntrack)	pkg=conntrack ;;
		ip|ss|tc)	pkg=iproute2 ;;
		iptables)	pkg=iptables ;;
		*)		pkg=$c ;;
		esac
		skip "${LIB_NAME:-test}: needs '$c' (Debian package $pkg; make deps)"
	done
}

# ---- init and cleanup -------------------------------------------------------

lib_init() {
	if [ $# -ne 1 ] || [ -z "$1" ]; then
		lib__die "usage: lib_init TESTNAME"
	fi
	LIB_NAME=$1
	LIB_OWNER=$BASHPID
	LIB_PFX=ev$BASHPID
	LIB_VERDICT=
	LIB_SIGNAL=
	LIB_BG_PID=
	LIB_CHILDREN=()
	LIB_NS_ROUTER=$LIB_PFX-r
	# A trap runs inside the redirections of the command it interrupts
	# (`ping_ok ... >/dev/null` would swallow the verdict): keep the
	# test's own stdout and stderr to restore them.
	if [ -n "${LIB_OUT:-}" ]; then
		exec {LIB_OUT}>&- {LIB_ERR}>&-
	fi
	exec {LIB_OUT}>&1 {LIB_ERR}>&2
	T=$(mktemp -d "${TMPDIR:-/tmp}/evict-${LIB_NAME//[^A-Za-z0-9_.-]/_}.XXXXXX") ||
		lib__die "lib_init: mktemp -d failed"
	LIB_ST=$T/.lib
	mkdir -p "$LIB_ST/hosts" "$LIB_ST/faults" || lib__die "lib_init: mkdir $LIB_ST"
	: >"$LIB_ST/pids"
	echo 0 >"$LIB_ST/nhosts"
	trap 'lib__on_exit' EXIT
	trap 'lib__on_signal INT 130' INT
	trap 'lib__on_signal TERM 143' TERM
	trap 'lib__on_signal HUP 129' HUP
}

lib__on_signal() {
	LIB_SIGNAL=$1
	exit "$2"
}

lib__on_exit() {
	local rc=$? cmd=${BASH_COMMAND:-}
	local f n=0

	[ "${LIB_OWNER:-}" = "$BASHPID" ] || return 0
	trap '' INT TERM HUP
	set +e
	exec 1>&"$LIB_OUT" 2>&"$LIB_ERR"
	if [ -n "${LIB_SIGNAL:-}" ]; then
		echo "FAIL: $LIB_NAME: interrupted by SIG$LIB_SIGNAL"
	elif [ -z "$LIB_VERDICT" ]; then
		if [ "$rc" -eq 0 ]; then
			echo "FAIL: $LIB_NAME: ended without a verdict (pass/fail/skip)"
			rc=1
		else
			echo "FAIL: $LIB_NAME: exited with status $rc; last command: $cmd"
		fi
	fi
	lib_cleanup
	if [ -n "$LIB_LEFT" ]; then
		echo "FAIL: $LIB_NAME: cleanup left behind:$LIB_LEFT"
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -d "$T" ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			n=$((n + 1))
			[ "$n" -le 12 ] || break
			echo "---- $LIB_NAME: tail of ${f##*/}" >&2
			tail -n 15 -- "$f" >&2
		done
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${KEEP_LOGS:-}" ]; then
		echo "# $LIB_NAME: logs kept in $T" >&2
	elif [ -n "$T" ] && [ -d "$T" ]; then
		rm -rf -- "$T"
	fi
	exit "$rc"
}

# Prints "STATE STARTTIME" of a pid, nothing if it does not exist.
lib__pidstat() {
	local line rest
	local -a f
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	rest=${line##*) }
	read -r -a f <<<"$rest"
	echo "${f[0]} ${f[19]}"
}

lib__record_pid() {
	local st
	st=$(lib__pidstat "$1") || st="? 0"
	echo "$1 ${st#* }" >>"$LIB_ST/pids"
}

lib__forget_pid() {
	local p s rest
	[ -f "$LIB_ST/pids" ] || return 0
	while read -r p s rest; do
		[ "$p" = "$1" ] || echo "$p $s"
	done <"$LIB_ST/pids" >"$LIB_ST/pids.new"
	mv -f "$LIB_ST/pids.new" "$LIB_ST/pids"
}

# True while pid $1 (started at $2, if given) runs and is not a zombie.
lib__alive() {
	local st
	st=$(lib__pidstat "$1") || return 1
	[ "${st%% *}" != Z ] || return 1
	[ -z "${2:-}" ] || [ "$2" = 0 ] || [ "${st#* }" = "$2" ]
}

# Stops the given "pid[:starttime]" list: TERM, wait up to 3 s, KILL,
# wait up to 1 s.  Reaps our own children.
lib__kill_list() {
	local e p s i any
	local -a l=()
	for e in "$@"; do
		[ -n "$e" ] && l+=("$e")
	done
	[ "${#l[@]}" -gt 0 ] || return 0
	set -- "${l[@]}"
	for e in "$@"; do
		p=${e%%:*}; s=${e#*:}; [ "$s" = "$e" ] && s=
		lib__alive "$p" "$s" && { kill -TERM "$p" 2>/dev/null || true; }
	done
	for ((i = 0; i < 30; i++)); do
		any=0
		for e in "$@"; do
			p=${e%%:*}; s=${e#*:}; [ "$s" = "$e" ] && s=
			lib__alive "$p" "$s" && any=1
		done
		[ "$any" -eq 1 ] || break
		sleep 0.1
	done
	if [ "$any" -eq 1 ]; then
		for e in "$@"; do
			p=${e%%:*}; s=${e#*:}; [ "$s" = "$e" ] && s=
			lib__alive "$p" "$s" && { kill -KILL "$p" 2>/dev/null || true; }
		done
		for ((i = 0; i < 10; i++)); do
			any=0
			for e in "$@"; do
				p=${e%%:*}; s=${e#*:}; [ "$s" = "$e" ] && s=
				lib__alive "$p" "$s" && any=1
			done
			[ "$any" -eq 1 ] || break
			sleep 0.1
		done
	fi
	for e in "$@"; do
		if lib__is_child "${e%%:*}"; then
			wait "${e%%:*}" 2>/dev/null || true
		fi
	done
	return 0
}

lib__is_child() {
	local c
	[ "${LIB_OWNER:-}" = "$BASHPID" ] || return 1
	for c in "${LIB_CHILDREN[@]:-}"; do
		[ "$c" = "$1" ] && return 0
	done
	return 1
}

lib__ns_pids() {
	ip netns pids "$1" 2>/dev/null || true
}

# Kills every process in the namespaces given, then deletes them.
lib__ns_destroy() {
	local ns p
	local -a victims=()
	for ns in "$@"; do
		for p in $(lib__ns_pids "$ns"); do
			victims+=("$p")
		done
	done
	lib__kill_list "${victims[@]:-}"
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

# Removes everything the test created; sets LIB_LEFT to what could not be
# removed (empty when all went).
lib_cleanup() {
	local p s rest ns
	local -a plist=() nslist=()
	LIB_LEFT=
	[ -n "$LIB_ST" ] && [ -d "$LIB_ST" ] || return 0
	while read -r p s rest; do
		[ -n "$p" ] && plist+=("$p:$s")
	done <"$LIB_ST/pids"
	lib__kill_list "${plist[@]:-}"
	: >"$LIB_ST/pids"
	while read -r ns; do
		[ -n "$ns" ] && nslist+=("$ns")
	done < <(ip netns list 2>/dev/null | awk -v p="$LIB_PFX-" \
	    'index($1, p) == 1 { print $1 }')
	lib__ns_destroy "${nslist[@]:-}"
	LIB_LEFT=$(ip netns list 2>/dev/null | awk -v p="$LIB_PFX-" \
	    'index($1, p) == 1 { printf " namespace %s", $1 }')
	for p in "${plist[@]:-}"; do
		[ -n "$p" ] || continue
		lib__alive "${p%%:*}" "${p#*:}" && LIB_LEFT+=" pid ${p%%:*}"
	done
	return 0
}

# Namespaces "ev<pid>-*" whose pid is gone: a test killed with SIGKILL.
lib__reap_stale() {
	local ns owner
	local -a stale=()
	while read -r ns; do
		[[ $ns =~ ^ev([0-9]+)- ]] || continue
		owner=${BASH_REMATCH[1]}
		[ "$owner" = "$LIB_OWNER" ] && continue
		kill -0 "$owner" 2>/dev/null && continue
		stale+=("$ns")
	done < <(ip netns list 2>/dev/null | awk '{ print $1 }')
	[ "${#stale[@]}" -gt 0 ] || return 0
	lib_note "removing stale namespaces of dead tests: ${stale[*]}"
	lib__ns_destroy "${stale[@]}"
}

# ---- hosts --------------------------------------------------------------------

lib__netns_add() {
	ip netns add "$1" || lib__die "ip netns add $1 failed"
	ip -n "$1" link set lo up || lib__die "$1: cannot bring lo up"
}

lib__router_ensure() {
	[ -f "$LIB_ST/router" ] && return 0
	lib__reap_stale
	lib__netns_add "$LIB_NS_ROUTER"
	ip netns exec "$LIB_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 ||
		lib__die "router: cannot enable forwarding"
	# Keep forwarding IPv4-only and quiet: no router advertisements.
	ip netns exec "$LIB_NS_ROUTER" sysctl -qw net.ipv6.conf.all.forwarding=0 \
	    >/dev/null 2>&1 || true
	echo "$LIB_NS_ROUTER" >"$LIB_ST/router"
}

# Loads host NAME's state into H_* variables.
lib__host() {
	local f
	lib__need_init
	[[ ${1:-} =~ ^[A-Za-z0-9_]{1,20}$ ]] ||
		lib__die "${FUNCNAME[1]}: bad host name '${1:-}'"
	f=$LIB_ST/hosts/$1
	[ -f "$f" ] || lib__die "${FUNCNAME[1]}: no host '$1' (host_add it first)"
	# shellcheck disable=SC1090
	. "$f"
}

lib__host_save() {
	cat >"$LIB_ST/hosts/$H_NAME.new" <<EOF
H_NAME=$H_NAME
H_IDX=$H_IDX
H_NS=$H_NS
H_IF=$H_IF
H_RIF=$H_RIF
H_NET=$H_NET
H_BASE=$H_BASE
H_RIP=$H_RIP
H_NUM=$H_NUM
H_ADDR=$H_ADDR
H_REMOVED=$H_REMOVED
EOF
	mv -f "$LIB_ST/hosts/$H_NAME.new" "$LIB_ST/hosts/$H_NAME"
}

host_add() {
	local name=${1:-} idx
	lib__need_init
	[[ $name =~ ^[A-Za-z0-9_]{1,20}$ ]] ||
		lib__die "host_add: bad host name '$name' ([A-Za-z0-9_], 1-20 chars)"
	[ -f "$LIB_ST/hosts/$name" ] && lib__die "host_add: host '$name' exists"
	read -r idx <"$LIB_ST/nhosts"
	[ "$idx" -lt "$LIB_MAX_HOSTS" ] ||
		lib__die "host_add: at most $LIB_MAX_HOSTS hosts per test"
	echo $((idx + 1)) >"$LIB_ST/nhosts"
	lib__router_ensure

	H_NAME=$name
	H_IDX=$idx
	H_NS=$LIB_PFX-h-$name
	H_IF=${LIB_PFX}h$idx
	H_RIF=${LIB_PFX}r$idx
	[ "${#H_IF}" -le 15 ] || lib__die "host_add: interface name $H_IF too long"
	H_NET=${LIB_NETS[idx / 16]}
	H_BASE=$(((idx % 16) * 16))
	H_RIP=$H_NET.$((H_BASE + 1))
	H_NUM=2
	H_ADDR=$H_NET.$((H_BASE + H_NUM))
	H_REMOVED=0

	lib__netns_add "$H_NS"
	ip -n "$LIB_NS_ROUTER" link add "$H_RIF" type veth \
	    peer name "$H_IF" netns "$H_NS" ||
		lib__die "host_add $name: cannot create veth pair"
	ip -n "$LIB_NS_ROUTER" addr add "$H_RIP/28" dev "$H_RIF" ||
		lib__die "host_add $name: cannot address the router side"
	ip -n "$LIB_NS_ROUTER" link set dev "$H_RIF" up ||
		lib__die "host_add $name: cannot bring the router side up"
	ip -n "$H_NS" addr add "$H_ADDR/28" dev "$H_IF" ||
		lib__die "host_add $name: cannot address the host side"
	ip -n "$H_NS" link set dev "$H_IF" up ||
		lib__die "host_add $name: cannot bring the host side up"
	ip -n "$H_NS" route replace default via "$H_RIP" dev "$H_IF" ||
		lib__die "host_add $name: cannot add the default route"
	lib__host_save
}

host_ip()     { lib__host "${1:-}"; echo "$H_ADDR"; }
router_ip()   { lib__host "${1:-}"; echo "$H_RIP"; }
host_subnet() { lib__host "${1:-}"; echo "$H_NET.$H_BASE/28"; }
host_ns()     { lib__host "${1:-}"; echo "$H_NS"; }
host_if()     { lib__host "${1:-}"; echo "$H_IF"; }
router_if()   { lib__host "${1:-}"; echo "$H_RIF"; }
router_ns()   { lib__need_init; echo "$LIB_NS_ROUTER"; }

hexec() {
	lib__host "${1:-}"
	shift
	ip netns exec "$H_NS" "$@" {LIB_OUT}>&- {LIB_ERR}>&-
}

router_exec() {
	lib__need_init
	[ -f "$LIB_ST/router" ] || lib__die "router_exec: no host added yet"
	ip netns exec "$LIB_NS_ROUTER" "$@"
}

# ---- processes ----------------------------------------------------------------

host_bg() {
	local log=${2:-} pid
	lib__host "${1:-}"
	[ $# -ge 3 ] || lib__die "usage: host_bg NAME LOGFILE CMD..."
	shift 2
	ip netns exec "$H_NS" "$@" </dev/null >"$log" 2>&1 \
	    {LIB_OUT}>&- {LIB_ERR}>&- &
	pid=$!
	lib__record_pid "$pid"
	LIB_BG_PID=$pid
	LIB_CHILDREN+=("$pid")
	echo "$pid"
}

lib__recorded() {
	local p s rest
	while read -r p s rest; do
		[ "$p" = "$1" ] && { echo "$s"; return 0; }
	done <"$LIB_ST/pids"
	return 1
}

stop_pid() {
	local pid=${1:-} s
	lib__need_init
	[[ $pid =~ ^[0-9]+$ ]] || lib__die "stop_pid: bad pid '$pid'"
	s=$(lib__recorded "$pid") || {
		echo "stop_pid: $pid was not started by host_bg; not touched" >&2
		return 1
	}
	lib__kill_list "$pid:$s"
	lib__forget_pid "$pid"
	return 0
}

wait_pid() {
	local pid=${1:-} ms deadline s rc=0 i
	lib__need_init
	[[ $pid =~ ^[0-9]+$ ]] || lib__die "wait_pid: bad pid '$pid'"
	ms=$(lib__ms_of "${2:-10}")
	deadline=$(($(lib_now_ms) + ms))
	s=$(lib__recorded "$pid") || s=
	for ((i = 0; i <= ms / 20 + 1; i++)); do
		lib__alive "$pid" "$s" || break
		[ "$(lib_now_ms)" -lt "$deadline" ] || return 124
		sleep 0.02
	done
	lib__alive "$pid" "$s" && return 124
	if lib__is_child "$pid"; then
		wait "$pid" 2>/dev/null || rc=$?
	fi
	lib__forget_pid "$pid"
	return "$rc"
}

wait_tcp() {
	local addr=${2:-} port=${3:-} ms deadline i
	lib__host "${1:-}"
	if [ -z "$addr" ] || ! [[ $port =~ ^[0-9]+$ ]]; then
		lib__die "usage: wait_tcp NAME ADDR PORT [TIMEOUT_S]"
	fi
	ms=$(lib__ms_of "${4:-5}")
	deadline=$(($(lib_now_ms) + ms))
	for ((i = 0; i <= ms / 50 + 1; i++)); do
		# shellcheck disable=SC2016 # expanded by the inner bash
		if timeout --foreground 1 ip netns exec "$H_NS" bash -c \
		    'exec 3<>"/dev/tcp/$0/$1"' "$addr" "$port" 2>/dev/null; then
			return 0
		fi
		[ "$(lib_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	return 1
}

wait_listen() {
	local port=${2:-} ms deadline i out
	lib__host "${1:-}"
	[[ $port =~ ^[0-9]+$ ]] || lib__die "usage: wait_listen NAME PORT [TIMEOUT_S]"
	ms=$(lib__ms_of "${3:-5}")
	deadline=$(($(lib_now_ms) + ms))
	for ((i = 0; i <= ms / 50 + 1; i++)); do
		out=$(ip netns exec "$H_NS" ss -Hltn "sport = :$port" 2>/dev/null)
		[ -n "$out" ] && return 0
		[ "$(lib_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	return 1
}

# ---- link and address faults ------------------------------------------------

lib__link_is_up() {
	ip -n "$H_NS" -o link show dev "$H_IF" 2>/dev/null | grep -q '[<,]UP[,>]'
}

# (Re)installs the default route when the host has its address and link.
lib__default_route() {
	[ "$H_REMOVED" = 0 ] || return 0
	lib__link_is_up || return 0
	ip -n "$H_NS" route replace default via "$H_RIP" dev "$H_IF" ||
		lib__die "$H_NAME: cannot set the default route via $H_RIP"
}

link_down() {
	lib__host "${1:-}"
	ip -n "$H_NS" link set dev "$H_IF" down ||
		lib__die "link_down $H_NAME: ip link set down failed"
}

link_up() {
	lib__host "${1:-}"
	ip -n "$H_NS" link set dev "$H_IF" up ||
		lib__die "link_up $H_NAME: ip link set up failed"
	lib__default_route
}

addr_change() {
	local num
	lib__host "${1:-}"
	num=$((H_NUM + 1))
	[ "$num" -le 14 ] || num=2
	ip -n "$H_NS" -4 addr flush dev "$H_IF" ||
		lib__die "addr_change $H_NAME: flush failed"
	H_NUM=$num
	H_ADDR=$H_NET.$((H_BASE + num))
	H_REMOVED=0
	ip -n "$H_NS" addr add "$H_ADDR/28" dev "$H_IF" ||
		lib__die "addr_change $H_NAME: cannot add $H_ADDR"
	lib__host_save
	lib__default_route
	echo "$H_ADDR"
}

addr_remove() {
	lib__host "${1:-}"
	ip -n "$H_NS" -4 addr flush dev "$H_IF" ||
		lib__die "addr_remove $H_NAME: flush failed"
	H_REMOVED=1
	lib__host_save
}

addr_restore() {
	lib__host "${1:-}"
	if ! ip -n "$H_NS" -4 -o addr show dev "$H_IF" | grep -qF " $H_ADDR/"; then
		ip -n "$H_NS" addr add "$H_ADDR/28" dev "$H_IF" ||
			lib__die "addr_restore $H_NAME: cannot add $H_ADDR"
	fi
	H_REMOVED=0
	lib__host_save
	lib__default_route
}

# ---- iptables faults ----------------------------------------------------------
# Each fault keeps its rules, one "TABLE CHAIN SPEC..." a line, in
# $LIB_ST/faults/NAME.FAULT, so that _off removes exactly what _on added.

lib__ipt() {
	ip netns exec "$LIB_NS_ROUTER" iptables -w 5 "$@"
}

# lib__fault_on FAULT RULE...: each RULE one "TABLE CHAIN SPEC" string.
# Calling it again replaces the rules: the new ones go in before the old
# ones come out.  That order matters for NAT: while no rule in the
# namespace needs conntrack, the kernel unhooks it, and packets of NATed
# flows in progress leave the router untranslated (the peer answers RST).
lib__fault_on() {
	local fault=$1 r f
	local -a w old=()
	shift
	f=$LIB_ST/faults/$H_NAME.$fault
	if [ -f "$f" ]; then
		while read -r r; do
			old+=("$r")
		done <"$f"
	fi
	: >"$f.new"
	for r in "$@"; do
		read -r -a w <<<"$r"
		lib__ipt -t "${w[0]}" -I "${w[1]}" 1 "${w[@]:2}" ||
			lib__die "$fault on $H_NAME: iptables -t ${w[0]} -I ${w[1]} ${w[*]:2} failed"
		echo "$r" >>"$f.new"
	done
	mv -f "$f.new" "$f"
	lib__ipt_del_once "${old[@]:-}"
}

# Deletes one instance of each "TABLE CHAIN SPEC" rule given.
lib__ipt_del_once() {
	local r
	local -a w
	for r in "$@"; do
		[ -n "$r" ] || continue
		read -r -a w <<<"$r"
		lib__ipt -t "${w[0]}" -D "${w[1]}" "${w[@]:2}" 2>/dev/null ||
			echo "lib: rule already gone: $r" >&2
	done
	return 0
}

lib__fault_off() {
	local fault=$1 r f
	local -a rules=()
	f=$LIB_ST/faults/$H_NAME.$fault
	[ -f "$f" ] || return 0
	while read -r r; do
		rules+=("$r")
	done <"$f"
	lib__ipt_del_once "${rules[@]:-}"
	rm -f -- "$f"
}

lib__tag() {
	echo "-m comment --comment ev:$H_NAME:$1"
}

blackhole_on() {
	lib__host "${1:-}"
	lib__fault_on blackhole \
	    "filter FORWARD -i $H_RIF $(lib__tag blackhole) -j DROP" \
	    "filter FORWARD -o $H_RIF $(lib__tag blackhole) -j DROP"
}

blackhole_off() {
	lib__host "${1:-}"
	lib__fault_off blackhole
}

reset_on() {
	lib__host "${1:-}"
	lib__fault_on reset \
	    "filter FORWARD -p tcp -i $H_RIF $(lib__tag reset) -j REJECT --reject-with tcp-reset" \
	    "filter FORWARD -p tcp -o $H_RIF $(lib__tag reset) -j REJECT --reject-with tcp-reset"
}

reset_off() {
	lib__host "${1:-}"
	lib__fault_off reset
}

loss_on() {
	local pct=${2:-} dir=${3:-both} p
	local -a rules=()
	lib__host "${1:-}"
	[[ $pct =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
		lib__die "usage: loss_on NAME PERCENT [in|out|both]"
	p=$(awk -v x="$pct" 'BEGIN { if (x > 100) exit 1; printf "%.6f", x / 100 }') ||
		lib__die "loss_on: PERCENT must be 0..100, not $pct"
	case $dir in
	in|out|both) ;;
	*) lib__die "loss_on: direction is in, out or both, not '$dir'" ;;
	esac
	[ "$dir" = out ] || rules+=("filter FORWARD -o $H_RIF $(lib__tag loss) -m statistic --mode random --probability $p -j DROP")
	[ "$dir" = in ] || rules+=("filter FORWARD -i $H_RIF $(lib__tag loss) -m statistic --mode random --probability $p -j DROP")
	lib__fault_on loss "${rules[@]}"
}

loss_off() {
	lib__host "${1:-}"
	lib__fault_off loss
}

lib__nat_rules() {
	local range=$1 src=$H_NET.$H_BASE/28
	lib__fault_on nat \
	    "nat POSTROUTING -s $src ! -o $H_RIF $(lib__tag nat) -j MASQUERADE" \
	    "nat POSTROUTING -s $src ! -o $H_RIF -p udp $(lib__tag nat) -j MASQUERADE --to-ports $range" \
	    "nat POSTROUTING -s $src ! -o $H_RIF -p tcp $(lib__tag nat) -j MASQUERADE --to-ports $range"
	echo "$range" >"$LIB_ST/faults/$H_NAME.natrange"
}

lib__nat_flush_ct() {
	command -v conntrack >/dev/null 2>&1 || return 0
	ip netns exec "$LIB_NS_ROUTER" conntrack -D -s "$H_NET.$H_BASE/28" \
	    >/dev/null 2>&1 || true
}

nat_on() {
	lib__host "${1:-}"
	lib__nat_rules "${LIB_NAT_RANGES[0]}"
}

nat_remap() {
	local cur next
	lib__host "${1:-}"
	need_cmd conntrack
	[ -f "$LIB_ST/faults/$H_NAME.nat" ] || lib__die "nat_remap $H_NAME: nat_on first"
	read -r cur <"$LIB_ST/faults/$H_NAME.natrange"
	next=${LIB_NAT_RANGES[0]}
	[ "$cur" = "$next" ] && next=${LIB_NAT_RANGES[1]}
	lib__nat_rules "$next"
	lib__nat_flush_ct
}

nat_off() {
	lib__host "${1:-}"
	lib__fault_off nat
	rm -f -- "$LIB_ST/faults/$H_NAME.natrange"
	lib__nat_flush_ct
}

# ---- bandwidth ------------------------------------------------------------------

# Prints the bytes per second of a tc rate such as 10mbit or 2mbps.
lib__rate_bytes() {
	awk -v r="$1" 'BEGIN {
		if (!match(r, /^[0-9]+(\.[0-9]+)?/)) exit 1
		n = substr(r, 1, RLENGTH) + 0; u = tolower(substr(r, RLENGTH + 1))
		if (u == "bit") b = n / 8
		else if (u == "kbit") b = n * 1000 / 8
		else if (u == "mbit") b = n * 1000000 / 8
		else if (u == "gbit") b = n * 1000000000 / 8
		else if (u == "bps" || u == "") b = n
		else if (u == "kbps") b = n * 1000
		else if (u == "mbps") b = n * 1000000
		else if (u == "gbps") b = n * 1000000000
		else exit 1
		if (b < 1) exit 1
		printf "%d\n", b
	}'
}

shape() {
	local rate=${2:-} bps burst
	lib__host "${1:-}"
	bps=$(lib__rate_bytes "$rate") ||
		lib__die "shape: bad rate '$rate' (e.g. 500kbit, 10mbit, 1gbit)"
	# 10 ms worth of tokens, at least 32 KiB so that timer granularity and
	# GSO packets do not cap the rate below RATE.
	burst=$((bps / 100))
	[ "$burst" -ge 32768 ] || burst=32768
	ip netns exec "$H_NS" tc qdisc replace dev "$H_IF" root tbf \
	    rate "$rate" burst "$burst" latency 100ms ||
		lib__die "shape $H_NAME: tc on $H_IF failed"
	ip netns exec "$LIB_NS_ROUTER" tc qdisc replace dev "$H_RIF" root tbf \
	    rate "$rate" burst "$burst" latency 100ms ||
		lib__die "shape $H_NAME: tc on router $H_RIF failed"
}

unshape() {
	lib__host "${1:-}"
	ip netns exec "$H_NS" tc qdisc del dev "$H_IF" root 2>/dev/null || true
	ip netns exec "$LIB_NS_ROUTER" tc qdisc del dev "$H_RIF" root \
	    2>/dev/null || true
}
