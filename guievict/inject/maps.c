/* maps: see maps.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guievict/inject/maps.h"

#define MAPS_DELETED	" (deleted)"

static const char *
maps_hex(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0, d;

	for (;; s++, n++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n >= 16)
			return NULL;
		x = x << 4 | (uint64_t)d;
	}
	if (n == 0)
		return NULL;
	*v = x;
	return s;
}

static const char *
maps_dec(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (x > (UINT64_MAX - 9) / 10)
			return NULL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (n == 0)
		return NULL;
	*v = x;
	return s;
}

int
maps_parse_line(const char *line, struct maps_entry *e)
{
	const char *s = line;
	uint64_t maj, min;
	size_t len, dl = sizeof MAPS_DELETED - 1;
	int i;

	memset(e, 0, sizeof *e);
	if ((s = maps_hex(s, &e->start)) == NULL || *s++ != '-')
		return -EINVAL;
	if ((s = maps_hex(s, &e->end)) == NULL || *s++ != ' ')
		return -EINVAL;
	if (e->end < e->start)
		return -EINVAL;
	for (i = 0; i < 4; i++, s++) {
		if (strchr("rwxps-", *s) == NULL || *s == '\0')
			return -EINVAL;
		e->perms[i] = *s;
	}
	e->perms[4] = '\0';
	if (*s++ != ' ')
		return -EINVAL;
	if ((s = maps_hex(s, &e->offset)) == NULL || *s++ != ' ')
		return -EINVAL;
	if ((s = maps_hex(s, &maj)) == NULL || *s++ != ':')
		return -EINVAL;
	if ((s = maps_hex(s, &min)) == NULL || *s++ != ' ')
		return -EINVAL;
	if (maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	e->dev_major = (unsigned int)maj;
	e->dev_minor = (unsigned int)min;
	if ((s = maps_dec(s, &e->inode)) == NULL)
		return -EINVAL;
	if (*s != ' ' && *s != '\n' && *s != '\0')
		return -EINVAL;
	while (*s == ' ')
		s++;
	len = strcspn(s, "\n");
	if (s[len] == '\n' && s[len + 1] != '\0')
		return -EINVAL;		/* more than one line */
	if (len >= dl && memcmp(s + len - dl, MAPS_DELETED, dl) == 0 &&
	    s[0] == '/') {
		e->deleted = 1;
		len -= dl;
	}
	if (len >= sizeof e->path)
		return -ENAMETOOLONG;
	memcpy(e->path, s, len);
	e->path[len] = '\0';
	return 0;
}

int
maps_name_matches(const char *path, const char *soname)
{
	const char *b, *v;

	if (path[0] != '/')
		return 0;
	b = strrchr(path, '/') + 1;
	if (strcmp(b, soname) == 0)
		return 1;
	if (strcmp(soname, "libc.so.6") != 0 || strncmp(b, "libc-", 5) != 0)
		return 0;
	/* libc-2.31.so: digits, dot-separated, then ".so" */
	v = b + 5;
	if (*v < '0' || *v > '9')
		return 0;
	while ((*v >= '0' && *v <= '9') ||
	    (*v == '.' && v[1] >= '0' && v[1] <= '9'))
		v++;
	return strcmp(v, ".so") == 0;
}

int
maps_find_lib(pid_t pid, const char *soname, struct maps_lib *lib)
{
	char fn[64], *line = NULL;
	size_t cap = 0;
	struct maps_entry *e;
	FILE *f;
	int found = 0, r = -ENOENT;

	memset(lib, 0, sizeof *lib);
	if ((e = malloc(sizeof *e)) == NULL)
		return -ENOMEM;
	snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
	if ((f = fopen(fn, "re")) == NULL) {
		r = errno == ENOENT ? -ESRCH : -errno;
		free(e);
		return r;
	}
	while (getline(&line, &cap, f) > 0) {
		if (maps_parse_line(line, e) != 0)
			continue;
		if (!maps_name_matches(e->path, soname))
			continue;
		if (found && (e->inode != lib->inode ||
		    e->dev_major != lib->dev_major ||
		    e->dev_minor != lib->dev_minor))
			continue;	/* a second copy; the first counts */
		if (!found) {
			found = 1;
			lib->inode = e->inode;
			lib->dev_major = e->dev_major;
			lib->dev_minor = e->dev_minor;
			lib->deleted = e->deleted;
			memcpy(lib->path, e->path, sizeof lib->path);
		}
		if (e->offset == 0 && lib->first_end == 0) {
			lib->base = e->start;
			lib->first_start = e->start;
			lib->first_end = e->end;
		}
		if (e->perms[2] == 'x')
			lib->nexec++;
	}
	if (ferror(f))
		r = -EIO;
	else if (found && lib->first_end != 0)
		r = 0;
	free(line);
	free(e);
	fclose(f);
	return r;
}
