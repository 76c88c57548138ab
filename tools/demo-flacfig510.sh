#!/usr/bin/env bash
# Demo of figure 5.10 on the laptop: "home" serves its files by smb to its
# own network and by flac-rpcd to the rest, "office" by flac-rpcd; the
# laptop runs one program under flac with the figure's specification
# (adapted: test addresses, the office tree at /u/office) while it moves:
# at home (smb), elsewhere (rpc), disconnected (the writes wait in flacd's
# journal), back online (they arrive).  The laptop's program appends a
# line to /n/home/notes.txt and to /u/office/report.txt at each stop.
# tests/integ/t-flac-fig510.sh checks the same by SHA-256.
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
. tests/lib.sh
. tests/lib-peers.sh
lib_init demo-flacfig510
need_root
[ -x /usr/sbin/smbd ] || skip "demo-flacfig510: no /usr/sbin/smbd (make deps)"
need_cmd smbpasswd /usr/bin/unshare
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
RPCD=$PWD/$O/bin/flac-rpcd
for f in "$FLAC" "$FLACD" "$RPCD"; do
	[ -x "$f" ] || fail "build first ($f)"
done

host_add home
host_add office
host_add laptop
HIP=$(host_ip home)
OIP=$(host_ip office)
lnet=$(host_subnet laptop)
lbase=${lnet%/*}
HOMENET=$lbase/29
AWAY=${lbase%.*}.$((${lbase##*.} + 10))
mkdir -p "$T/home" "$T/office" "$T/lcache" "$T/ctl"
echo "notes kept at home" >"$T/home/notes.txt"
echo "report kept at the office" >"$T/office/report.txt"
touch -d '-1 hour' "$T/home/notes.txt" "$T/office/report.txt"
K=$T/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K"
chmod 600 "$K"
for h in home office; do
	host_bg "$h" "$T/rpcd-$h.log" "$RPCD" -F --root "$T/$h" --key "$K" \
	    --listen 0.0.0.0:7410 >/dev/null
	wait_listen "$h" 7410 10 || fail "flac-rpcd on $h did not start"
done
peer_smbd home root "$T/home" >/dev/null || fail "smbd did not start"
hexec home iptables -w 5 -A INPUT -p tcp --dport 445 ! -s "$HOMENET" \
    -j REJECT --reject-with tcp-reset || fail "iptables on home"
cat >"$T/laptop.flac" <<EOF
LCACHE = subtree(local(), $T/lcache)
HOME-FROM-LAPTOP = transfer(subtree(LCACHE, /home),
                            select(location,
                                   $HOMENET: smb(share="\\\\$HIP\\root"),
                                   else: rpc(host="$HIP", port=7410)),
                            pushpull, IGNORE, IGNORE)
OFFICE-FROM-LAPTOP = transfer(subtree(LCACHE, /office),
                              rpc(host="$OIP", port=7410),
                              pushpull, IGNORE, IGNORE)
root overlay(extendtree(HOME-FROM-LAPTOP, /n/home),
             overlay(extendtree(OFFICE-FROM-LAPTOP, /u/office), local()))
EOF
export FLACD_SOCKET=$T/flacd.sock
host_bg laptop "$T/flacd.log" env FLACD_SOCKET="$FLACD_SOCKET" \
    FLAC_RPC_KEY="$K" FLAC_SMB_CREDENTIALS="$T/smbd-home/cred" HOME="$T" \
    "$FLACD" -F -s "$FLACD_SOCKET" -v >/dev/null
for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
[ -S "$FLACD_SOCKET" ] || fail "flacd did not start"
cat >"$T/editor.sh" <<'EOF'
#!/bin/sh
ctl=$1
for stop in 1 2 3 4; do
	i=0
	while [ ! -e "$ctl/go-$stop" ]; do
		i=$((i + 1))
		[ "$i" -lt 1200 ] || exit 3
		sleep 0.05
	done
	what=$(cat "$ctl/go-$stop")
	echo "$what: edited on the laptop" >>/n/home/notes.txt || exit 4
	echo "$what: edited on the laptop" >>/u/office/report.txt || exit 4
	touch "$ctl/done-$stop"
done
EOF
chmod +x "$T/editor.sh"
host_bg laptop "$T/editor.log" /usr/bin/unshare -u /bin/sh -c \
    "hostname laptop && exec $FLAC -f $T/laptop.flac -d -- $T/editor.sh $T/ctl" >/dev/null
EDITOR=$LIB_BG_PID

stop() {	# stop N WHAT: the program edits; then what each server has
	echo "$2" >"$T/ctl/go-$1.new"
	mv "$T/ctl/go-$1.new" "$T/ctl/go-$1"
	for _ in $(seq 1 200); do
		[ -e "$T/ctl/done-$1" ] && break
		kill -0 "$EDITOR" 2>/dev/null || break
		sleep 0.05
	done
	[ -e "$T/ctl/done-$1" ] || fail "the program did not edit at stop $1: $(tail -3 "$T/editor.log")"
	show
}
show() {
	echo "    home's notes.txt:     $(tail -n 1 "$T/home/notes.txt")"
	echo "    office's report.txt:  $(tail -n 1 "$T/office/report.txt")"
}
via() {	# the last service flacd connected to for home
	grep -o 'smb(share=[^)]*): connected\|rpc(host="'"$HIP"'"[^)]*): connected' \
	    "$T/flacd.log" | tail -n 1 | sed 's/: connected//'
}

echo
echo "evict demo: figure 5.10 on the laptop (home $HIP, office $OIP)"
echo "the laptop's name space (the laptop's case of the figure; the whole"
echo "figure is in tests/integ/t-flac-fig510.sh):"
sed 's/^/    /' "$T/laptop.flac"
echo
echo "* at home ($(host_ip laptop), in $HOMENET): an edit under /n/home and /u/office"
stop 1 "at home"
echo "    home reached by $(via)"
echo "* the laptop moves elsewhere ($AWAY); smb is refused there"
ip -n "$(host_ns laptop)" -4 addr flush dev "$(host_if laptop)"
ip -n "$(host_ns laptop)" addr add "$AWAY/28" dev "$(host_if laptop)"
ip -n "$(host_ns laptop)" route replace default via "$(router_ip laptop)"
for _ in $(seq 1 100); do	# the location monitor's rebinding
	grep 'location changed: now' "$T/editor.log" | tail -n 1 |
	    grep -q "now [^(]* $AWAY " && break
	sleep 0.05
done
stop 2 "elsewhere"
echo "    home reached by $(via)"
echo "* the laptop's link goes down; it edits while disconnected"
link_down laptop
stop 3 "disconnected"
echo "    pushes waiting in flacd's journal: $(find "$FLACD_SOCKET.journal" -name '*.push' | wc -l)"
echo "* the link comes back"
t0=$(lib_now_ms)
link_up laptop
for _ in $(seq 1 100); do
	grep -q disconnected "$T/home/notes.txt" && grep -q disconnected "$T/office/report.txt" && break
	sleep 0.1
done
grep -q disconnected "$T/home/notes.txt" && grep -q disconnected "$T/office/report.txt" ||
	fail "the disconnected edits did not arrive"
echo "    $(($(lib_now_ms) - t0)) ms later the journal has pushed them:"
show
echo "* back online: another edit"
stop 4 "back online"
wait_pid "$EDITOR" 10 || fail "the program failed: $(tail -3 "$T/editor.log")"
echo "* at the end, home's notes.txt:"
sed 's/^/    /' "$T/home/notes.txt"
echo "  and office's report.txt:"
sed 's/^/    /' "$T/office/report.txt"
pass "demo-flacfig510: the laptop's edits from home, elsewhere and disconnected all reached home and office"
