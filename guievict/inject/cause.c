/* cause: see cause.h. */
#include <stdarg.h>
#include <stdio.h>

#include "guievict/inject/cause.h"

int
cause_set(char *cause, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (cause != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(cause, len, fmt, ap);
		va_end(ap);
	}
	return err;
}
