/*
 * log: leveled logging for daemons, tools and preloaded libraries.
 *
 * The level and the log file come from EVICT_LOG_LEVEL (error, warn, info,
 * debug) and EVICT_LOG_FILE, read with secure_getenv() so that a setuid or
 * setgid program ignores them.  Output goes through raw system calls, never
 * through a libc function another preloaded library (or ours) may wrap, and
 * errno is preserved across every call.
 */
#ifndef EVICT_LOG_H
#define EVICT_LOG_H

#include <stdarg.h>

enum evlog_level {
	EVLOG_ERROR = 0,
	EVLOG_WARN  = 1,
	EVLOG_INFO  = 2,
	EVLOG_DEBUG = 3,
};

extern int evlog_level;

/* Sets the component name and default level, then reads the environment. */
void log_init(const char *component, int default_level);
void log_set_level(int level);
/* Directs output to fd (the caller keeps ownership); -1 means stderr. */
void log_set_fd(int fd);
/* Parses "error".."debug" or "0".."3"; returns -1 when unknown. */
int log_parse_level(const char *s);

void log_msg(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *func, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define log_at(lvl, ...) do { \
	if (evlog_level >= (lvl)) log_msg((lvl), __func__, __VA_ARGS__); \
} while (0)
#define log_error(...) log_at(EVLOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(EVLOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(EVLOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(EVLOG_DEBUG, __VA_ARGS__)

/* Like log_error, with ": strerror(err)" appended (err >= 0, an errno). */
void log_err(int err, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_errno(...) log_err(errno, __func__, __VA_ARGS__)

/* Logs at most once per call site for the life of the process. */
#define log_once(lvl, ...) do { \
	static int log_once_done_; \
	if (!__atomic_exchange_n(&log_once_done_, 1, __ATOMIC_RELAXED)) \
		log_at((lvl), __VA_ARGS__); \
} while (0)

#endif
