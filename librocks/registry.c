/*
 * registry: which program fds are rocks, and every rock of the process.
 * The fd table is two-level and filled lazily, so a lookup is two loads
 * and a process with no rocks pays nothing but the first level.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "librocks/rock.h"

#define REG_L2      1024
#define REG_L1      1024            /* fds up to 1,048,575 */

static struct rock **reg_table[REG_L1];
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rock *reg_list;

struct rock *
rock_lookup(int fd)
{
	struct rock **l2;

	if (fd < 0 || fd >= REG_L1 * REG_L2)
		return NULL;
	l2 = __atomic_load_n(&reg_table[fd / REG_L2], __ATOMIC_ACQUIRE);
	if (l2 == NULL)
		return NULL;
	return __atomic_load_n(&l2[fd % REG_L2], __ATOMIC_ACQUIRE);
}

int
rock_bind_fd(int fd, struct rock *r)
{
	struct rock **l2;

	if (fd < 0 || fd >= REG_L1 * REG_L2)
		return -EMFILE;
	pthread_mutex_lock(&reg_lock);
	l2 = reg_table[fd / REG_L2];
	if (l2 == NULL) {
		l2 = calloc(REG_L2, sizeof *l2);
		if (l2 == NULL) {
			pthread_mutex_unlock(&reg_lock);
			return -ENOMEM;
		}
		__atomic_store_n(&reg_table[fd / REG_L2], l2, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&l2[fd % REG_L2], r, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

void
rock_unbind_fd(int fd)
{
	struct rock **l2;

	if (fd < 0 || fd >= REG_L1 * REG_L2)
		return;
	l2 = __atomic_load_n(&reg_table[fd / REG_L2], __ATOMIC_ACQUIRE);
	if (l2 != NULL)
		__atomic_store_n(&l2[fd % REG_L2], NULL, __ATOMIC_RELEASE);
}

void
rock_list_add(struct rock *r)
{
	pthread_mutex_lock(&reg_lock);
	r->next = reg_list;
	reg_list = r;
	r->listed = 1;
	pthread_mutex_unlock(&reg_lock);
}

void
rock_list_del(struct rock *r)
{
	struct rock **pp;

	pthread_mutex_lock(&reg_lock);
	for (pp = &reg_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			r->listed = 0;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
}

struct rock *
rock_find_id(const uint8_t id[ROCKS_ID_LEN])
{
	struct rock *r;

	pthread_mutex_lock(&reg_lock);
	for (r = reg_list; r != NULL; r = r->next)
		if (r->state != ROCK_UNDECIDED &&
		    memcmp(r->id, id, ROCKS_ID_LEN) == 0) {
			rock_get(r);
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	return r;
}

void
rock_foreach(void (*fn)(struct rock *, void *), void *arg)
{
	struct rock *r, *next;

	pthread_mutex_lock(&reg_lock);
	for (r = reg_list; r != NULL; r = next) {
		next = r->next;
		fn(r, arg);
	}
	pthread_mutex_unlock(&reg_lock);
}
