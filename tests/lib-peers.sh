# shellcheck shell=bash
# tests/lib-peers.sh: real servers started inside test hosts (source after
# tests/lib.sh and lib_init).  Each starts the Debian program in the
# foreground under host_bg, with its configuration and state in $T, waits
# until it listens, and prints its pid (call it as `peer_x h p >/dev/null`
# and read LIB_BG_PID to keep the server a child of the test); cleanup is
# lib.sh's.
#
#   peer_sshd HOST PORT      OpenSSH sshd, a fresh host key, root login by
#                            key ($T/id_peer, $T/id_peer.pub) only
#   peer_redis HOST PORT     redis-server, no persistence
#   peer_nginx HOST PORT     nginx serving $T/www (index.html and a 4 MiB
#                            random file big.bin)
#   peer_smbd HOST SHARE DIR Samba's smbd on port 445 sharing DIR as SHARE
#                            to root with a fresh password, nothing of the
#                            system's Samba used (its conf, passdb and
#                            state in $T/smbd-HOST); the credentials file
#                            for flacd (0600) is $T/smbd-HOST/cred

peer_sshd() {
	local host=$1 port=$2 dir=$T/sshd-$1-$2 pid
	mkdir -p "$dir" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey" >/dev/null </dev/null
	[ -f "$T/id_peer" ] ||
		ssh-keygen -q -t ed25519 -N '' -f "$T/id_peer" >/dev/null </dev/null
	cp "$T/id_peer.pub" "$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys"
	cat >"$dir/sshd_config" <<-CONF
	Port $port
	ListenAddress 0.0.0.0
	HostKey $dir/hostkey
	PidFile $dir/sshd.pid
	AuthorizedKeysFile $dir/authorized_keys
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	LogLevel VERBOSE
	Subsystem sftp /usr/lib/openssh/sftp-server
	CONF
	host_bg "$host" "$dir/sshd.log" /usr/sbin/sshd -D -e \
	    -f "$dir/sshd_config" >/dev/null || return 1
	pid=$LIB_BG_PID
	wait_listen "$host" "$port" 5 || { echo "FAIL: sshd did not start" >&2; return 1; }
	echo "$pid"
}

peer_redis() {
	local host=$1 port=$2 dir=$T/redis-$1-$2 pid
	mkdir -p "$dir"
	host_bg "$host" "$dir/redis.log" redis-server --port "$port" \
	    --bind 0.0.0.0 --protected-mode no --save '' --appendonly no \
	    --daemonize no --dir "$dir" >/dev/null || return 1
	pid=$LIB_BG_PID
	wait_listen "$host" "$port" 5 || { echo "FAIL: redis did not start" >&2; return 1; }
	echo "$pid"
}

peer_nginx() {
	local host=$1 port=$2 dir=$T/nginx-$1-$2 pid
	mkdir -p "$dir/www" "$dir/tmp"
	echo "evict test page" >"$dir/www/index.html"
	head -c 4194304 /dev/urandom >"$dir/www/big.bin"
	cat >"$dir/nginx.conf" <<-CONF
	daemon off;
	master_process off;
	worker_processes 1;
	pid $dir/nginx.pid;
	error_log $dir/error.log;
	events { worker_connections 256; }
	http {
	    access_log off;
	    client_body_temp_path $dir/tmp;
	    proxy_temp_path $dir/tmp;
	    fastcgi_temp_path $dir/tmp;
	    uwsgi_temp_path $dir/tmp;
	    scgi_temp_path $dir/tmp;
	    server { listen $port; root $dir/www; }
	}
	CONF
	host_bg "$host" "$dir/nginx.log" nginx -c "$dir/nginx.conf" \
	    -p "$dir" >/dev/null || return 1
	pid=$LIB_BG_PID
	wait_listen "$host" "$port" 5 || { echo "FAIL: nginx did not start" >&2; return 1; }
	echo "$pid"
}

peer_smbd() {
	local host=$1 share=$2 path=$3 d=$T/smbd-$1 pw
	mkdir -p "$d/private" "$d/lock" "$d/state" "$d/cache" "$d/pid" \
	    "$d/ncalrpc" "$d/bind-dns"
	chmod 700 "$d/private"
	cat >"$d/smb.conf" <<-CONF
	[global]
		server role = standalone server
		workgroup = EVICTTEST
		netbios name = EVICTPEER
		disable netbios = yes
		smb ports = 445
		server min protocol = SMB2
		private dir = $d/private
		lock directory = $d/lock
		state directory = $d/state
		cache directory = $d/cache
		pid directory = $d/pid
		ncalrpc dir = $d/ncalrpc
		binddns dir = $d/bind-dns
		passdb backend = tdbsam:$d/private/passdb.tdb
		log file = $d/log.smbd
		log level = 1
		map to guest = Never
		load printers = no
		printing = bsd
		printcap name = /dev/null
		disable spoolss = yes
		usershare max shares = 0
	[$share]
		path = $path
		read only = no
		valid users = root
		create mask = 0644
	CONF
	pw=evict-$RANDOM-$RANDOM-$RANDOM
	printf '%s\n%s\n' "$pw" "$pw" | smbpasswd -c "$d/smb.conf" -a -s root \
	    >"$d/smbpasswd.out" 2>&1 || {
		echo "FAIL: smbpasswd: $(cat "$d/smbpasswd.out")" >&2
		return 1
	}
	(umask 077 && printf 'username = root\npassword = %s\ndomain = EVICTTEST\n' \
	    "$pw" >"$d/cred")
	# its own process group (setsid): smbd signals its group when it ends
	host_bg "$host" "$d/smbd.log" setsid /usr/sbin/smbd --foreground \
	    --no-process-group -l "$d" -s "$d/smb.conf" >/dev/null || return 1
	wait_listen "$host" 445 10 || {
		echo "FAIL: smbd did not start: $(tail -3 "$d/smbd.log" "$d/log.smbd" 2>/dev/null)" >&2
		return 1
	}
	echo "$LIB_BG_PID"
}
