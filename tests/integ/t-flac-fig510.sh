#!/usr/bin/env bash
# t-flac-fig510: Figure 5.10 of the dissertation (the mobile editor's name
# space) on three test hosts, the laptop moving while one program runs.
#   home    serves its tree ($T/home) by smb (smbd started here, as in
#           t-flac-smb) to the home network only (an iptables rule on home
#           resets port 445 from anywhere else) and by flac-rpcd to all
#   office  serves its tree ($T/office) by flac-rpcd
#   laptop  runs flacd, and a shell script under `flac -f` with the
#           figure's specification adapted to the test: the host name
#           "laptop" (a UTS namespace of the program's own) picks the
#           laptop's case; the home network is the lower /29 of laptop's
#           /28 and "elsewhere" its upper /29; HOME-FROM-LAPTOP is
#           transfer(LCACHE/home, select(location, HOMENET: smb, else:
#           rpc), pushpull, IGNORE, IGNORE), OFFICE-FROM-LAPTOP the same
#           over rpc(office); the office tree is mounted at /u/office over
#           local() (the figure's root is the office file system; here
#           /bin, /dev and the test's files stay local, so that the shell
#           and its programs are not pulled from the office)
# The program edits files under /n/home and /u/office in four phases:
#   home          laptop at an address of the home network: home by smb
#   elsewhere     address in the other /29: home by rpc (smb is refused
#                 there), the location monitor's rebinding in between
#   disconnected  link down: IGNORE, the writes stay in the laptop's cache
#                 and flacd's journal, nothing reaches home or office
#   reconnected   link up: the journalled pushes arrive (time noted), and
#                 the phase's own edits go straight through
# Afterwards every file on home's and office's trees is checked by SHA-256
# against what the program wrote (and the two edited text files line by
# line).  Then a program at the office (its case: home's tree through
# transfer(OCACHE, rpc(home), pushpull, BLOCK, BLOCK), the office's own
# local) makes an edit of each and copies a file to home.  The figure's
# "home" location needs a direct rpc() layer (OFFICE-FROM-HOME), which
# answers EREMOTE today: it is checked with `flac explain` only.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
. tests/lib-peers.sh
lib_init flac-fig510
need_root
[ -x /usr/sbin/smbd ] || skip "no /usr/sbin/smbd (apt-get install samba)"
need_cmd smbpasswd /usr/bin/unshare
FLAC=$PWD/$O/bin/flac
FLACD=$PWD/$O/bin/flacd
RPCD=$PWD/$O/bin/flac-rpcd
for f in "$FLAC" "$FLACD" "$RPCD"; do
	[ -x "$f" ] || fail "build first ($f)"
done
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

host_add home
host_add office
host_add laptop
HIP=$(host_ip home)
OIP=$(host_ip office)
LNS=$(host_ns laptop)
LIF=$(host_if laptop)
LRIP=$(router_ip laptop)
lnet=$(host_subnet laptop)	# a.b.c.N/28
lbase=${lnet%/*}
lpre=${lbase%.*}
lnum=${lbase##*.}
HOMENET=$lbase/29
AT_HOME=$lpre.$((lnum + 2))
AWAY=$lpre.$((lnum + 10))
# lap_move ADDR: the laptop's one address becomes ADDR (in its /28)
lap_move() {
	ip -n "$LNS" -4 addr flush dev "$LIF" || fail "flush $LIF"
	ip -n "$LNS" addr add "$1/28" dev "$LIF" || fail "add $1 to $LIF"
	ip -n "$LNS" route replace default via "$LRIP" dev "$LIF" || fail "default route"
}
[ "$(host_ip laptop)" = "$AT_HOME" ] || fail "laptop starts at $(host_ip laptop), not $AT_HOME"

# ---- the trees and the servers -------------------------------------------------
mkdir -p "$T/home/docs" "$T/office/src" "$T/lcache" "$T/ctl"
head -c 1048576 /dev/urandom >"$T/home/docs/big"
head -c 700000 /dev/urandom >"$T/office/src/data"
echo "notes kept at home" >"$T/home/docs/notes.txt"
echo "report kept at the office" >"$T/office/src/report.txt"
touch -d '-1 hour' "$T/home/docs/notes.txt" "$T/office/src/report.txt"
cp "$T/home/docs/notes.txt" "$T/want-notes"
cp "$T/office/src/report.txt" "$T/want-report"

K=$T/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K"
chmod 600 "$K"
host_bg home "$T/rpcd-home.log" "$RPCD" -F --root "$T/home" --key "$K" \
    --listen 0.0.0.0:7410 >/dev/null
host_bg office "$T/rpcd-office.log" "$RPCD" -F --root "$T/office" --key "$K" \
    --listen 0.0.0.0:7410 >/dev/null
wait_listen home 7410 10 || fail "flac-rpcd on home: $(cat "$T/rpcd-home.log")"
wait_listen office 7410 10 || fail "flac-rpcd on office: $(cat "$T/rpcd-office.log")"

peer_smbd home root "$T/home" >/dev/null || fail "smbd did not start"
# smb for the home network only
hexec home iptables -w 5 -A INPUT -p tcp --dport 445 ! -s "$HOMENET" \
    -j REJECT --reject-with tcp-reset || fail "iptables on home"

# ---- Figure 5.10, adapted ---------------------------------------------------------
cat >"$T/fig510.flac" <<EOF
# access from home workstation
HOME-FROM-HOME = subtree(local(), $T/home)
OFFICE-FROM-HOME = rpc(host="$OIP", port=7410)

# access from office workstation
OCACHE = subtree(local(), $T/ocache)
HOME-FROM-OFFICE = transfer(subtree(OCACHE, /home),
                            rpc(host="$HIP", port=7410),
                            pushpull, BLOCK, BLOCK)
OFFICE-FROM-OFFICE = subtree(local(), $T/office)

# access from laptop
LCACHE = subtree(local(), $T/lcache)
HOME-FROM-LAPTOP = transfer(subtree(LCACHE, /home),
                            select(location,
                                   $HOMENET: smb(share="\\\\$HIP\\root"),
                                   else: rpc(host="$HIP", port=7410)),
                            pushpull, IGNORE, IGNORE)
OFFICE-FROM-LAPTOP = transfer(subtree(LCACHE, /office),
                              rpc(host="$OIP", port=7410),
                              pushpull, IGNORE, IGNORE)

# the office file system at /u/office, with home's mounted on /n/home
HOME = select(location,
              $(host_subnet home): HOME-FROM-HOME,
              $(host_subnet office): HOME-FROM-OFFICE,
              laptop: HOME-FROM-LAPTOP)
OFFICE = select(location,
                $(host_subnet home): OFFICE-FROM-HOME,
                $(host_subnet office): OFFICE-FROM-OFFICE,
                laptop: OFFICE-FROM-LAPTOP)
root overlay(extendtree(HOME, /n/home), overlay(extendtree(OFFICE, /u/office), local()))
EOF
"$FLAC" check "$T/fig510.flac" >"$T/check.out" 2>&1 || fail "flac check: $(cat "$T/check.out")"
# the other locations, explained (running there needs direct remote layers)
ex() { "$FLAC" explain "$T/fig510.flac" "$@" 2>&1; }
e1=$(ex --location "$HIP" /n/home/docs/notes.txt)
e2=$(ex --location "$OIP" /n/home/docs/notes.txt)
e3=$(ex --location "$HIP" /u/office/src/data)
e4=$(ex --location laptop /n/home/docs/notes.txt)
e5=$(ex --location laptop --location "$AT_HOME" /n/home/docs/notes.txt | tr '\n' ' ')
[[ $e1 == *"local() $T/home/docs/notes.txt"* ]] || fail "explain at home: $e1"
[[ $e2 == *"pull BLOCK, push BLOCK"* && $e2 == *"$T/ocache/home/docs/notes.txt"* ]] ||
	fail "explain at the office: $e2"
[[ $e3 == *"rpc(host=\"$OIP\""* ]] || fail "explain of the office tree at home: $e3"
[[ $e4 == *"pull IGNORE, push IGNORE"* && $e4 == *"rpc(host=\"$HIP\""* ]] ||
	fail "explain on the laptop elsewhere: $e4"
[[ $e5 == *"smb(share="* ]] || fail "explain on the laptop at home ($AT_HOME): $e5"
lib_note "ok: the specification checks; home, office and laptop cases explained"

# ---- flacd and the program on the laptop ------------------------------------------
export FLACD_SOCKET=$T/flacd.sock
host_bg laptop "$T/flacd.log" env FLACD_SOCKET="$FLACD_SOCKET" \
    FLAC_RPC_KEY="$K" FLAC_SMB_CREDENTIALS="$T/smbd-home/cred" HOME="$T" \
    "$FLACD" -F -s "$FLACD_SOCKET" -v >/dev/null
for _ in $(seq 1 50); do [ -S "$FLACD_SOCKET" ] && break; sleep 0.1; done
[ -S "$FLACD_SOCKET" ] || fail "flacd does not listen: $(cat "$T/flacd.log")"

cat >"$T/editor.sh" <<'EOF'
#!/bin/sh
# the "editor": one round of edits per phase, when the test says go
ctl=$1
for phase in home elsewhere disconnected reconnected; do
	i=0
	while [ ! -e "$ctl/go-$phase" ]; do
		i=$((i + 1))
		[ "$i" -lt 1200 ] || { echo "no go for $phase"; exit 3; }
		sleep 0.05
	done
	echo "$phase: edited on the laptop" >>/n/home/docs/notes.txt || exit 4
	echo "$phase: edited on the laptop" >>/u/office/src/report.txt || exit 4
	head -c 200000 /dev/urandom >"$ctl/$phase.bin"
	cp "$ctl/$phase.bin" "/n/home/docs/$phase.bin" || exit 5
	cp "$ctl/$phase.bin" "/u/office/src/$phase.bin" || exit 5
	sha256sum /n/home/docs/big /u/office/src/data >"$ctl/read-$phase" || exit 6
	echo "$phase done"
	touch "$ctl/done-$phase"
done
EOF
chmod +x "$T/editor.sh"
host_bg laptop "$T/editor.log" /usr/bin/unshare -u /bin/sh -c \
    "hostname laptop && exec $FLAC -f $T/fig510.flac -d -- $T/editor.sh $T/ctl" >/dev/null
EDITOR_PID=$LIB_BG_PID

# phase NAME: lets the program make the phase's edits; waits (20 s)
phase() {
	touch "$T/ctl/go-$1"
	for _ in $(seq 1 400); do
		[ -e "$T/ctl/done-$1" ] && return 0
		kill -0 "$EDITOR_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "phase $1: the program did not finish: $(cat "$T/editor.log"; tail -5 "$T/flacd.log")"
}
# moved has|lacks ADDR: waits (5 s) until the monitor's last "location
# changed" line has (lacks) ADDR in its new location
moved() {
	local last now
	for _ in $(seq 1 100); do
		last=$(grep 'location changed: now' "$T/editor.log" | tail -n 1)
		now=${last#*now }
		now=" ${now%%(was*}"
		if [ -n "$last" ]; then
			case $1:$now in
			has:*" $2 "*) return 0 ;;
			lacks:*" $2 "*) ;;
			lacks:*) return 0 ;;
			esac
		fi
		sleep 0.05
	done
	fail "the location monitor did not see the move ($1 $2): $(cat "$T/editor.log")"
}
# reads_ok PHASE: the program read home's and office's big files intact
reads_ok() {
	[ "$(sed -n 1p "$T/ctl/read-$1" | cut -d' ' -f1)" = "$(sha "$T/home/docs/big")" ] &&
	    [ "$(sed -n 2p "$T/ctl/read-$1" | cut -d' ' -f1)" = "$(sha "$T/office/src/data")" ] ||
		fail "phase $1: what the program read differs: $(cat "$T/ctl/read-$1")"
}
# arrived PHASE: that phase's files are on home's and office's trees
arrived() {
	[ "$(sha "$T/home/docs/$1.bin")" = "$(sha "$T/ctl/$1.bin")" ] &&
	    [ "$(sha "$T/office/src/$1.bin")" = "$(sha "$T/ctl/$1.bin")" ]
}
want_edit() {
	echo "$1: edited on the laptop" >>"$T/want-notes"
	echo "$1: edited on the laptop" >>"$T/want-report"
}
edits_arrived() {
	cmp -s "$T/home/docs/notes.txt" "$T/want-notes" &&
	    cmp -s "$T/office/src/report.txt" "$T/want-report"
}

# home: smb
phase home
want_edit home
reads_ok home
arrived home && edits_arrived || fail "at home, the edits did not reach the servers"
grep -q "smb(share=.*connected as 'root'" "$T/flacd.log" ||
	fail "at home, home's tree was not reached by smb: $(tail -5 "$T/flacd.log")"
grep -q "rpcd: $AT_HOME: authenticated" "$T/rpcd-home.log" &&
	fail "at home, the laptop used home's rpc server"
lib_note "ok: at home ($AT_HOME): home by smb, office by rpc, byte-exact"

# elsewhere: rpc
lap_move "$AWAY"
moved has "$AWAY"
phase elsewhere
want_edit elsewhere
reads_ok elsewhere
arrived elsewhere && edits_arrived || fail "elsewhere, the edits did not reach the servers: $(tail -5 "$T/flacd.log")"
grep -q "rpcd: $AWAY: authenticated" "$T/rpcd-home.log" ||
	fail "elsewhere, home's rpc server saw no login from $AWAY: $(tail -3 "$T/rpcd-home.log")"
lib_note "ok: elsewhere ($AWAY): home by rpc after the rebinding"

# disconnected: IGNORE, the journal
link_down laptop
moved lacks "$AWAY"
phase disconnected
reads_ok disconnected
arrived disconnected && fail "disconnected, the files reached the servers"
n=$(find "$FLACD_SOCKET.journal" -name '*.push' 2>/dev/null | wc -l)
[ "$n" = 4 ] || fail "disconnected: the journal holds $n entries, 4 expected"
for f in "$T/lcache/home/docs/disconnected.bin" "$T/lcache/office/src/disconnected.bin"; do
	[ "$(sha "$f")" = "$(sha "$T/ctl/disconnected.bin")" ] || fail "the laptop's cache lacks $f"
done
want_edit disconnected
edits_arrived && fail "disconnected, the edits reached the servers"
lib_note "ok: disconnected: reads from the cache, 4 pushes in the journal, none on the servers"

# reconnected: the journal drains, then the phase's own edits
t0=$(lib_now_ms)
link_up laptop
for _ in $(seq 1 150); do
	arrived disconnected && edits_arrived && break
	sleep 0.1
done
t1=$(lib_now_ms)
arrived disconnected && edits_arrived ||
	fail "reconnected, the journalled pushes did not arrive: $(tail -5 "$T/flacd.log")"
lib_note "ok: reconnected: the journalled pushes arrived $((t1 - t0)) ms after the link came up"
moved has "$AWAY"
phase reconnected
want_edit reconnected
reads_ok reconnected
wait_pid "$EDITOR_PID" 10 || fail "the program: $(cat "$T/editor.log")"

# every service's files, afterwards
for p in home elsewhere disconnected reconnected; do
	arrived "$p" || fail "the $p files on the servers differ"
done
edits_arrived || fail "the edited files on the servers: $(diff "$T/want-notes" "$T/home/docs/notes.txt"; diff "$T/want-report" "$T/office/src/report.txt")"
n=$(find "$FLACD_SOCKET.journal" -name '*.push' 2>/dev/null | wc -l)
[ "$n" = 0 ] || fail "$n pushes left in the journal"

# the same edits made at the office (its case has no direct remote layer:
# home's tree through a transfer, BLOCK, from its cache; its own local)
host_bg office "$T/flacd-office.log" env FLACD_SOCKET="$T/flacd-office.sock" \
    FLAC_RPC_KEY="$K" HOME="$T" "$FLACD" -F -s "$T/flacd-office.sock" -v >/dev/null
for _ in $(seq 1 50); do [ -S "$T/flacd-office.sock" ] && break; sleep 0.1; done
hexec office env FLACD_SOCKET="$T/flacd-office.sock" timeout 60 "$FLAC" \
    -f "$T/fig510.flac" -d -- sh -c "echo 'office: edited at the office' >>/n/home/docs/notes.txt &&
	echo 'office: edited at the office' >>/u/office/src/report.txt &&
	cp $T/ctl/home.bin /n/home/docs/office.bin && sha256sum /n/home/docs/big" \
    >"$T/office.out" 2>&1 || fail "at the office: $(cat "$T/office.out"; tail -3 "$T/flacd-office.log")"
echo "office: edited at the office" >>"$T/want-notes"
echo "office: edited at the office" >>"$T/want-report"
edits_arrived || fail "the office's edits: $(diff "$T/want-notes" "$T/home/docs/notes.txt"; diff "$T/want-report" "$T/office/src/report.txt")"
[ "$(sha "$T/home/docs/office.bin")" = "$(sha "$T/ctl/home.bin")" ] ||
	fail "the office's copy did not reach home"
[ "$(sha "$T/ocache/home/docs/notes.txt")" = "$(sha "$T/want-notes")" ] ||
	fail "the office's cache of home's notes differs"
grep -q "$(sha "$T/home/docs/big")" "$T/office.out" || fail "at the office, home's big file: $(cat "$T/office.out")"
lib_note "ok: at the office: home through its cache (transfer, BLOCK), the office tree local"
pass "figure 5.10: the laptop at home (smb), elsewhere (rpc), disconnected (journal), reconnected, then the office: every file on home and office byte-exact"
