#!/usr/bin/env bash
# Installs the Debian 12 packages evict builds and tests with, when some are
# missing (quick when all are present).  Everything comes from Debian's own
# archive through apt-get; nothing is downloaded from anywhere else.
set -eu

pkgs=(
	# build
	gcc make pkg-config libssl-dev
	# unit tests (Check) and fuzzing (libFuzzer with clang)
	check libsubunit-dev clang libclang-rt-14-dev
	# test hosts: namespaces, faults, shaping
	iproute2 iptables iputils-ping procps conntrack jq
	# real peers the integration tests start
	openssh-server openssh-client redis-server redis-tools nginx-light curl
	# the plain TCP relay rockd is measured against
	socat
	# programs run inside flac name spaces; libssh for the sftp service
	git vim python3 libssh-dev
	# the smb service (libsmbclient) and the Samba server its test starts
	libsmbclient-dev samba smbclient
	# the FUSE union flac's overlay is compared with (make bench)
	mergerfs
	# the FUSE sftp file system flac's reopen is compared with
	sshfs
	# X11: displays, programs to move, and the libraries guievict uses
	xvfb xterm x11-apps x11-utils xdotool fontconfig xfonts-base
	xfonts-75dpi xfonts-100dpi fonts-dejavu-core
	libxcb1-dev libxcb-res0-dev libxcb-shape0-dev libxcb-xfixes0-dev
	libxcb-render0-dev libxau-dev util-linux strace
	# the Xorg server module (guievict/xorg/) and the headless Xorg
	# (dummy video driver) its tests run
	xserver-xorg-core xserver-xorg-video-dummy xserver-xorg-dev
	# a larger program to move (Lucid toolkit, cairo, DBE)
	emacs-lucid
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: these Debian packages are missing: ${missing[*]}" >&2
	echo "deps: run 'make deps' as root, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Services from the packages are started by the tests themselves, never by
# the installation: keep apt from starting (and leaving) them.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	added_policy=1
fi
trap '[ "$added_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
