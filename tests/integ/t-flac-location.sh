#!/usr/bin/env bash
# t-flac-location: select(location) follows the host's addresses while a
# program runs (the location monitor, reopen; docs/design/flac.md).
#   - host lap runs python3 under a spec whose /data is HOME while lap has
#     an address of its /28 and AWAY otherwise; the program opens
#     /data/probe anew every 50 ms and logs what it reads
#   - lap's address removed: the program reads AWAY's probe within a
#     bounded time (noted; the goal is 100 ms); back: HOME's again
#   - a file held open across both moves (the same bytes on both trees) is
#     reopened at its offset each time: SHA-256 of all it read
#   - a file only HOME has: while away, the next read fails with ESTALE;
#     after the move back it reads on from where it was (SHA-256)
#   - the same with lap's link down, then up; and with the host name
#     (a UTS namespace of the program's own) renamed
#   - the monitor logs each change at info level and exits with the
#     program; with --location there is none; flac explain --location
#     still answers for a given location
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
. tests/lib.sh
lib_init flac-location
FLAC=$PWD/$O/bin/flac
[ -x "$FLAC" ] || skip "flac-location: $O/bin/flac is not built"
need_root
need_cmd /usr/bin/python3
npass=0
nfail=0
ok() { echo "PASS: flac-location: $1"; npass=$((npass + 1)); }
ko() { echo "FAIL: flac-location: $1"; nfail=$((nfail + 1)); }

host_add lap >/dev/null
net=$(host_subnet lap)
mkdir -p "$T/home" "$T/away"
echo home >"$T/home/probe"
echo away >"$T/away/probe"
head -c 300000 /dev/urandom >"$T/home/same.bin"
cp "$T/home/same.bin" "$T/away/same.bin"
head -c 300000 /dev/urandom >"$T/home/homeonly.bin"
cat >"$T/loc.flac" <<SPEC
root overlay(extendtree(select(location,
    $net: subtree(local(), $T/home),
    else: subtree(local(), $T/away)), /data), local())
SPEC

# explain still answers for a location given on the command line
ex_in=$("$FLAC" explain "$T/loc.flac" --location "$(host_ip lap)" \
    /data/probe 2>&1)
ex_out=$("$FLAC" explain "$T/loc.flac" --location 203.0.113.5 \
    /data/probe 2>&1)
if [[ $ex_in == *"$T/home"* && $ex_out == *"$T/away"* ]]; then
	ok "explain --location picks HOME in $net and AWAY outside"
else
	ko "explain --location: '$ex_in' / '$ex_out'"
fi

# --location fixes the location: no monitor, the case it names
fixed=$(hexec lap "$FLAC" -f "$T/loc.flac" --location 203.0.113.5 -- \
    /bin/cat /data/probe 2>&1)
if [ "$fixed" = away ]; then
	ok "-f --location: that location's case, no monitor"
else
	ko "-f --location 203.0.113.5: '$fixed' (want away and nothing else)"
fi

# the program: a line per event, with its clock in ms
cat >"$T/run.py" <<'PY'
import errno, hashlib, os, sys, time
ctl = sys.argv[1]
def now(): return int(time.time() * 1000)
def say(*a): print(now(), *a, flush=True)
same = os.open("/data/same.bin", os.O_RDONLY)
home = os.open("/data/homeonly.bin", os.O_RDONLY)
hs, hh = hashlib.sha256(), hashlib.sha256()
hs.update(os.read(same, 100000))
hh.update(os.read(home, 100000))
def rd(fd, h, n):
    try:
        b = os.read(fd, n)
        h.update(b)
        return "ok%d" % len(b)
    except OSError as e:
        return "err%d" % e.errno
last, step = None, 0
say("ready")
end = time.time() + 40
while time.time() < end:
    with open("/data/probe") as f:
        s = f.read().strip()
    if s != last:
        say("probe", s)
        last = s
    if step == 0 and os.path.exists(ctl + "/step1"):
        say("step1", rd(same, hs, 100000), rd(home, hh, 100000))
        step = 1
    if step == 1 and os.path.exists(ctl + "/step2"):
        r1, r2 = rd(same, hs, 1 << 20), rd(home, hh, 1 << 20)
        say("step2", r1, r2, hs.hexdigest(), hh.hexdigest())
        step = 2
    time.sleep(0.05)
PY

mkdir "$T/ctl"
pid=$(host_bg lap "$T/log" "$FLAC" -f "$T/loc.flac" -- /usr/bin/python3 \
    "$T/run.py" "$T/ctl")

# waits (at most $2 s) for the ${3:-1}th line of the log matching $1;
# prints it
await() {
	local i n=${3:-1} lines
	for ((i = 0; i < $2 * 100; i++)); do
		lines=$(grep -E "$1" "$T/log")
		if [ -n "$lines" ] && [ "$(wc -l <<<"$lines")" -ge "$n" ]; then
			sed -n "${n}p" <<<"$lines"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

if await '^[0-9]+ probe home$' 10 >/dev/null; then
	ok "the program starts at home (/data/probe is HOME's)"
else
	ko "no start at home: $(cat "$T/log")"
fi

# away: the address goes, the else case serves /data
t0=$(lib_now_ms)
addr_remove lap
if line=$(await '^[0-9]+ probe away$' 5); then
	dt=$(( ${line%% *} - t0 ))
	lib_note "away seen by the program ${dt} ms after the address went (it looks every 50 ms; goal 100 ms)"
	ok "the address removed: new opens read AWAY's probe (${dt} ms)"
else
	ko "the program never saw AWAY: $(cat "$T/log")"
fi
touch "$T/ctl/step1"
line=$(await '^[0-9]+ step1 ' 5) || line=none
if [[ $line == *" step1 ok100000 err116" ]]; then
	ok "away: the file both trees have reads on; HOME's only file gives ESTALE"
else
	ko "away: '$line' (want ok100000 err116)"
fi

# back
t0=$(lib_now_ms)
addr_restore lap
if line=$(await '^[0-9]+ probe home$' 5 2); then
	dt=$(( ${line%% *} - t0 ))
	lib_note "home seen again ${dt} ms after the address came back"
	ok "the address back: HOME's probe again (${dt} ms)"
else
	ko "the program never came home: $(cat "$T/log")"
fi
touch "$T/ctl/step2"
line=$(await '^[0-9]+ step2 ' 5) || line=none
want_s=$(sha256_of "$T/home/same.bin")
want_h=$(sha256_of "$T/home/homeonly.bin")
if [[ $line == *" step2 ok100000 ok200000 $want_s $want_h" ]]; then
	ok "held files reopened at their offsets: SHA-256 of all read match"
else
	ko "after the move back: '$line'"
fi

# the link down (the address stays, the interface is not up): away; up:
# home
t0=$(lib_now_ms)
link_down lap
if line=$(await '^[0-9]+ probe away$' 5 2); then
	lib_note "link down seen $(( ${line%% *} - t0 )) ms after"
	link_up lap
	if line=$(await '^[0-9]+ probe home$' 5 3); then
		lib_note "link up seen $(( ${line%% *} - t0 )) ms after the down"
		ok "link down: AWAY's probe; link up: HOME's"
	else
		ko "link up: never home again: $(cat "$T/log")"
	fi
else
	link_up lap
	ko "link down: never away: $(cat "$T/log")"
fi

# the monitor said so, at info level
if [ "$(grep -c 'location changed' "$T/log")" -ge 2 ]; then
	ok "the monitor logged the changes"
else
	ko "no 'location changed' lines: $(cat "$T/log")"
fi
# the monitor goes when the session's last process does
mon=$(grep -m1 -oE 'flac-locmon\[[0-9]+\]' "$T/log" | tr -dc 0-9)
stop_pid "$pid" >/dev/null
for ((i = 0; i < 300; i++)); do
	[ -n "$mon" ] && [ -d "/proc/$mon" ] || break
	sleep 0.01
done
if [ -n "$mon" ] && [ ! -d "/proc/$mon" ]; then
	ok "the monitor exits with the program"
else
	ko "the monitor (pid '${mon}') is still there after the program"
fi

# the host name: a program in a UTS namespace of its own named "roamer"
# sees HOME under a spec that selects on that name; renamed, AWAY
if [ -x /usr/bin/unshare ] && [ -x /usr/bin/nsenter ]; then
	cat >"$T/name.flac" <<SPEC
root overlay(extendtree(select(location,
    roamer: subtree(local(), $T/home),
    else: subtree(local(), $T/away)), /data), local())
SPEC
	cat >"$T/name.py" <<'PY'
import time
last, end = None, time.time() + 15
while time.time() < end:
    with open("/data/probe") as f:
        s = f.read().strip()
    if s != last:
        print(int(time.time() * 1000), "name", s, flush=True)
        last = s
    time.sleep(0.05)
PY
	npid=$(host_bg lap "$T/log" /usr/bin/unshare -u /bin/sh -c \
	    "hostname roamer && exec $FLAC -f $T/name.flac -- /usr/bin/python3 $T/name.py")
	if await '^[0-9]+ name home$' 10 >/dev/null; then
		t0=$(lib_now_ms)
		nsenter -t "$npid" -u hostname elsewhere
		if line=$(await '^[0-9]+ name away$' 5); then
			lib_note "host name change seen $(( ${line%% *} - t0 )) ms after"
			ok "host name renamed: the else case serves /data"
		else
			ko "host name renamed: never away: $(cat "$T/log")"
		fi
	else
		ko "host name roamer: not at home: $(cat "$T/log")"
	fi
	stop_pid "$npid" >/dev/null
fi

echo "flac-location: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ] || fail "flac-location: $nfail failed"
pass "flac-location"
