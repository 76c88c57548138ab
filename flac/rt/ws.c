/*
 * ws: the per-thread work area of rt.h.  One anonymous mapping per thread,
 * made on first use and unmapped when the thread exits; its pages are only
 * touched as far as a call needs them.  mmap is async-signal-safe, unlike
 * malloc, and works in the child of vfork.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "flac/rt/rt.h"

#define WS_SIZE		(2u << 20)

struct ws {
	size_t		 used;
	struct flac_res	 res;
	/* the arena follows, up to WS_SIZE */
};

#define WS_ARENA_START	((sizeof(struct ws) + 15) & ~(size_t)15)

static __thread struct ws *ws_cur __attribute__((tls_model("initial-exec")));
static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;

static void
ws_destroy(void *p)
{
	if (p != NULL)
		munmap(p, WS_SIZE);
}

static void
ws_key_init(void)
{
	pthread_key_create(&ws_key, ws_destroy);
}

static struct ws *
ws_get(void)
{
	void *p;

	if (ws_cur != NULL)
		return ws_cur;
	p = mmap(NULL, WS_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	ws_cur = p;
	ws_cur->used = WS_ARENA_START;
	pthread_once(&ws_once, ws_key_init);
	pthread_setspecific(ws_key, p);
	return ws_cur;
}

struct flac_res *
ws_res(void)
{
	struct ws *w = ws_get();

	return w == NULL ? NULL : &w->res;
}

void *
ws_alloc(size_t n)
{
	struct ws *w = ws_get();
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (w == NULL || n > WS_SIZE - w->used)
		return NULL;
	p = (char *)w + w->used;
	w->used += n;
	return p;
}

char *
ws_path(void)
{
	char *p = ws_alloc(RT_PATH_MAX);

	if (p != NULL)
		p[0] = '\0';
	return p;
}

char *
ws_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = ws_alloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

size_t
ws_mark(void)
{
	struct ws *w = ws_get();

	return w == NULL ? 0 : w->used;
}

void
ws_release(size_t mark)
{
	struct ws *w = ws_cur;

	if (w != NULL && mark >= WS_ARENA_START && mark <= w->used)
		w->used = mark;
}

void
ws_reset(void)
{
	if (ws_cur != NULL)
		ws_cur->used = WS_ARENA_START;
}
