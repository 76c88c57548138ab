/*
 * log: see log.h.  Lines look like
 *   2026-11-21T23:30:00.123Z edp[1234] info edp_probe: message
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

int evlog_level = EVLOG_WARN;
static int log_fd = -1;
/*
 * EVICT_LOG_FILE: the file, and what log_fd named when we opened it.  A
 * program may close every fd it did not open (ssh, sshd), and the number
 * is then reused: we check before each line and reopen, never writing
 * into the program's socket or file.
 */
static char log_path[512];
static dev_t log_dev;
static ino_t log_ino;
static char log_component[32] = "evict";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_parse_level(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0')
		return s[0] - '0';
	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
log_set_level(int level)
{
	if (level < EVLOG_ERROR)
		level = EVLOG_ERROR;
	if (level > EVLOG_DEBUG)
		level = EVLOG_DEBUG;
	evlog_level = level;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
	log_path[0] = '\0';
}

/* Opens log_path; 0, or -1 (then log_fd is -1). */
static int
log_open(void)
{
	struct stat st;
	int fd;

	fd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && syscall(SYS_fstat, fd, &st) == 0) {
		log_fd = fd;
		log_dev = st.st_dev;
		log_ino = st.st_ino;
		return 0;
	}
	if (fd >= 0)
		(void)syscall(SYS_close, fd);
	log_fd = -1;
	return -1;
}

void
log_init(const char *component, int default_level)
{
	const char *s;
	int saved = errno, lvl, fd;

	if (component != NULL)
		snprintf(log_component, sizeof log_component, "%s", component);
	log_set_level(default_level);
	/* secure_getenv() answers NULL in setuid and setgid programs. */
	s = secure_getenv("EVICT_LOG_LEVEL");
	if (s != NULL && (lvl = log_parse_level(s)) >= 0)
		log_set_level(lvl);
	s = secure_getenv("EVICT_LOG_FILE");
	if (s != NULL && *s != '\0' && strlen(s) < sizeof log_path) {
		fd = log_fd;
		snprintf(log_path, sizeof log_path, "%s", s);
		if (log_open() < 0) {
			log_path[0] = '\0';
			log_fd = fd;
		}
	}
	errno = saved;
}

static void
log_write(const char *buf, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd;

	if (log_path[0] != '\0' && (log_fd < 0 ||
	    syscall(SYS_fstat, log_fd, &st) != 0 || st.st_dev != log_dev ||
	    st.st_ino != log_ino) && log_open() < 0)
		return;         /* the file is gone: nothing, rather than elsewhere */
	fd = log_fd >= 0 ? log_fd : STDERR_FILENO;

	while (len > 0) {
		n = syscall(SYS_write, fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void log_line(int, const char *, const char *, const char *, va_list)
	__attribute__((format(printf, 4, 0)));

static void
log_line(int level, const char *func, const char *suffix, const char *fmt,
    va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t off;
	int n;

	if (level < 0 || level > EVLOG_DEBUG)
		level = EVLOG_ERROR;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + off, sizeof line - off, ".%03ldZ %s[%ld] %s %s: ",
	    ts.tv_nsec / 1000000, log_component, (long)getpid(),
	    level_names[level], func != NULL ? func : "?");
	if (n > 0)
		off += (size_t)n < sizeof line - off ? (size_t)n : sizeof line - off - 1;
	n = vsnprintf(line + off, sizeof line - off, fmt, ap);
	if (n > 0)
		off += (size_t)n < sizeof line - off ? (size_t)n : sizeof line - off - 1;
	if (suffix != NULL && off < sizeof line - 1) {
		n = snprintf(line + off, sizeof line - off, ": %s", suffix);
		if (n > 0)
			off += (size_t)n < sizeof line - off ? (size_t)n :
			    sizeof line - off - 1;
	}
	if (off >= sizeof line - 1)
		off = sizeof line - 2;
	line[off++] = '\n';
	log_write(line, off);
}

void
log_vmsg(int level, const char *func, const char *fmt, va_list ap)
{
	int saved = errno;

	log_line(level, func, NULL, fmt, ap);
	errno = saved;
}

void
log_msg(int level, const char *func, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_line(level, func, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_err(int err, const char *func, const char *fmt, ...)
{
	char ebuf[128];
	const char *es;
	va_list ap;
	int saved = errno;

	if (evlog_level < EVLOG_ERROR)
		return;
	es = strerror_r(err, ebuf, sizeof ebuf);
	va_start(ap, fmt);
	log_line(EVLOG_ERROR, func, es, fmt, ap);
	va_end(ap);
	errno = saved;
}
