/* preflight: see preflight.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guievict/inject/cause.h"
#include "guievict/inject/elfsym.h"
#include "guievict/inject/preflight.h"

#define PREFLIGHT_STATUS_MAX	8192

static int
preflight_hex64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 16);
	if (end == s || errno != 0)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end == '\0' || *end == '\n' ? 0 : -EINVAL;
}

static int
preflight_ids(const char *s, unsigned int id[4])
{
	unsigned long v;
	char *end;
	int i;

	for (i = 0; i < 4; i++) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || errno != 0 || v > UINT32_MAX)
			return -EINVAL;
		id[i] = (unsigned int)v;
		s = end;
	}
	return 0;
}

static int
preflight_pid(const char *s, pid_t *p)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < 0 || v > INT32_MAX)
		return -EINVAL;
	*p = (pid_t)v;
	return 0;
}

/* One "Key:\tvalue" line (value without its newline). */
static int
preflight_line(const char *key, const char *val, struct preflight_status *st)
{
	size_t n;

	if (strcmp(key, "Name") == 0) {
		n = strlen(val);
		if (n >= sizeof st->name)
			n = sizeof st->name - 1;
		memcpy(st->name, val, n);
		st->name[n] = '\0';
		st->have |= PREFLIGHT_HAVE_NAME;
		return 0;
	}
	if (strcmp(key, "State") == 0) {
		st->state = val[0];
		return 0;
	}
	if (strcmp(key, "Tgid") == 0)
		return preflight_pid(val, &st->tgid);
	if (strcmp(key, "PPid") == 0)
		return preflight_pid(val, &st->ppid);
	if (strcmp(key, "TracerPid") == 0) {
		st->have |= PREFLIGHT_HAVE_TRACER;
		return preflight_pid(val, &st->tracer);
	}
	if (strcmp(key, "Uid") == 0) {
		st->have |= PREFLIGHT_HAVE_UID;
		return preflight_ids(val, st->uid);
	}
	if (strcmp(key, "Gid") == 0) {
		st->have |= PREFLIGHT_HAVE_GID;
		return preflight_ids(val, st->gid);
	}
	if (strcmp(key, "SigPnd") == 0)
		return preflight_hex64(val, &st->sigpnd);
	if (strcmp(key, "ShdPnd") == 0)
		return preflight_hex64(val, &st->shdpnd);
	if (strcmp(key, "SigBlk") == 0)
		return preflight_hex64(val, &st->sigblk);
	if (strcmp(key, "SigIgn") == 0) {
		st->have |= PREFLIGHT_HAVE_SIG;
		return preflight_hex64(val, &st->sigign);
	}
	if (strcmp(key, "SigCgt") == 0)
		return preflight_hex64(val, &st->sigcgt);
	if (strcmp(key, "CapEff") == 0) {
		st->have |= PREFLIGHT_HAVE_CAP;
		return preflight_hex64(val, &st->capeff);
	}
	return 0;
}

int
preflight_parse_status(const char *text, struct preflight_status *st)
{
	char key[32], val[256];
	const char *p = text, *colon, *eol, *v;
	size_t kl, vl;
	int r;

	memset(st, 0, sizeof *st);
	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return -EINVAL;
		kl = (size_t)(colon - p);
		v = colon + 1;
		while (v < eol && (*v == '\t' || *v == ' '))
			v++;
		vl = (size_t)(eol - v);
		if (kl < sizeof key && vl < sizeof val) {
			memcpy(key, p, kl);
			key[kl] = '\0';
			memcpy(val, v, vl);
			val[vl] = '\0';
			if ((r = preflight_line(key, val, st)) != 0)
				return r;
		}
		p = *eol == '\n' ? eol + 1 : eol;
	}
	return 0;
}

int
preflight_read_status(const char *path, struct preflight_status *st)
{
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if ((buf = malloc(PREFLIGHT_STATUS_MAX)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < PREFLIGHT_STATUS_MAX - 1) {
		n = read(fd, buf + got, PREFLIGHT_STATUS_MAX - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == ESRCH ? -ESRCH : -errno;
			close(fd);
			free(buf);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	r = got == 0 ? -ESRCH : preflight_parse_status(buf, st);
	free(buf);
	return r;
}

int
preflight_yama(int scope, int privileged)
{
	switch (scope) {
	case -1:
	case 0:
		return 0;
	case 1:
		return privileged ? 0 : 1;
	case 2:
		return privileged ? 0 : -EPERM;
	default:
		return -EPERM;
	}
}

int
preflight_yama_scope(void)
{
	char buf[16];
	ssize_t n;
	int fd;

	if ((fd = open(PREFLIGHT_YAMA_PATH, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static int
preflight_arch(pid_t pid, const struct preflight_info *info, char *cause,
    size_t causelen)
{
	unsigned char hdr[64];
	const char *what;
	char fn[64];
	ssize_t n;
	int fd;

	snprintf(fn, sizeof fn, "/proc/%d/exe", (int)pid);
	if ((fd = open(fn, O_RDONLY | O_CLOEXEC)) < 0)
		return cause_set(cause, causelen, errno == ENOENT ? -ESRCH :
		    -errno, "process %d (%s): cannot open %s: %s", (int)pid,
		    info->name, fn, strerror(errno));
	n = pread(fd, hdr, sizeof hdr, 0);
	close(fd);
	if (n < 0)
		return cause_set(cause, causelen, -errno,
		    "process %d (%s): cannot read %s: %s", (int)pid,
		    info->name, fn, strerror(errno));
	if (elfsym_check_x86_64(hdr, (size_t)n, &what) != 0)
		return cause_set(cause, causelen, -ENOEXEC,
		    "process %d (%s) is %s; guievict-inject handles x86_64 "
		    "programs only", (int)pid, info->name, what);
	return 0;
}

int
preflight_check(pid_t pid, struct preflight_info *info, char *cause,
    size_t causelen)
{
	struct preflight_status st, self;
	char fn[64];
	uid_t ruid = getuid();
	gid_t rgid = getgid();
	int r, i, owned = 1;

	memset(info, 0, sizeof *info);
	if (pid <= 0)
		return cause_set(cause, causelen, -ESRCH,
		    "%d is not a process id", (int)pid);
	snprintf(fn, sizeof fn, "/proc/%d/status", (int)pid);
	if ((r = preflight_read_status(fn, &st)) != 0)
		return cause_set(cause, causelen, r == -ESRCH ? -ESRCH : r,
		    r == -ESRCH ? "no process %d" : "process %d: %s",
		    (int)pid, strerror(-r));
	if ((st.have & (PREFLIGHT_HAVE_UID | PREFLIGHT_HAVE_GID |
	    PREFLIGHT_HAVE_TRACER)) != (PREFLIGHT_HAVE_UID |
	    PREFLIGHT_HAVE_GID | PREFLIGHT_HAVE_TRACER))
		return cause_set(cause, causelen, -EINVAL,
		    "process %d: %s lacks Uid, Gid or TracerPid", (int)pid, fn);
	memcpy(info->name, st.name, sizeof info->name);
	if (st.tgid != pid)
		return cause_set(cause, causelen, -EINVAL,
		    "%d is a thread of process %d (%s); give the process id",
		    (int)pid, (int)st.tgid, st.name);
	if (st.state == 'Z' || st.state == 'X')
		return cause_set(cause, causelen, -ESRCH,
		    "process %d (%s) has exited (a zombie)", (int)pid, st.name);
	info->stopped = st.state == 'T';
	if (preflight_read_status("/proc/self/status", &self) == 0)
		info->privileged = (self.capeff >>
		    PREFLIGHT_CAP_SYS_PTRACE) & 1;
	/* The kernel's rule for PTRACE_MODE_ATTACH_REALCREDS. */
	for (i = 0; i < 3; i++)
		if (st.uid[i] != ruid || st.gid[i] != rgid)
			owned = 0;
	if (!owned && !info->privileged) {
		if (st.uid[0] != ruid || st.uid[1] != ruid ||
		    st.uid[2] != ruid)
			return cause_set(cause, causelen, -EPERM,
			    "process %d (%s) belongs to uid %u, not to you "
			    "(uid %u): only its owner or root may inject into "
			    "it", (int)pid, st.name, st.uid[0],
			    (unsigned int)ruid);
		return cause_set(cause, causelen, -EPERM,
		    "process %d (%s) runs with other group ids (gid %u) or "
		    "changed its ids (setuid/setgid): only root may inject "
		    "into it", (int)pid, st.name, st.gid[1]);
	}
	info->yama_scope = preflight_yama_scope();
	info->yama = preflight_yama(info->yama_scope, info->privileged);
	if (info->yama < 0)
		return cause_set(cause, causelen, -EPERM,
		    "%s is %d: %s", PREFLIGHT_YAMA_PATH, info->yama_scope,
		    info->yama_scope == 2 ? "only root (CAP_SYS_PTRACE) may "
		    "attach to a process; run as root, or set it to 0 or 1" :
		    "no process may attach to another (set at boot); "
		    "injection is impossible on this system");
	if (st.tracer != 0) {
		struct preflight_status tr;

		snprintf(fn, sizeof fn, "/proc/%d/status", (int)st.tracer);
		if (preflight_read_status(fn, &tr) != 0)
			snprintf(tr.name, sizeof tr.name, "?");
		return cause_set(cause, causelen, -EBUSY,
		    "process %d (%s) is already traced by process %d (%s); "
		    "detach that debugger or tracer first", (int)pid,
		    st.name, (int)st.tracer, tr.name);
	}
	return preflight_arch(pid, info, cause, causelen);
}
