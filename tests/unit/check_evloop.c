/*
 * Check suite for common/evloop: fd callbacks, removal from inside a
 * batch, timer order and counts, cancel, stop (also from another thread).
 * Timing asserts are one-sided where the loop guarantees it (a timer never
 * fires early) and generous otherwise.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/evloop.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- fds ----------------------------------------------------------------- */

struct fdrec {
	int		 calls;
	int		 fd;
	uint32_t	 events;
	char		 byte;
};

static void
read_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct fdrec *r = arg;

	(void)loop;
	r->calls++;
	r->fd = fd;
	r->events = events;
	if (events & EPOLLIN)
		ck_assert_int_eq(read(fd, &r->byte, 1), 1);
}

START_TEST(test_fd_fires)
{
	struct evloop *loop;
	struct fdrec rec;
	int p[2];

	memset(&rec, 0, sizeof rec);
	ck_assert_ptr_nonnull(loop = evloop_new());
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(evloop_add_fd(loop, p[0], EPOLLIN, read_cb, &rec), 0);
	/* nothing to read: times out, no call */
	ck_assert_int_eq(evloop_run_once(loop, 20), 0);
	ck_assert_int_eq(rec.calls, 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(evloop_run_once(loop, 1000), 1);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(rec.fd, p[0]);
	ck_assert(rec.events & EPOLLIN);
	ck_assert_int_eq(rec.byte, 'x');
	/* the writer closes: EPOLLHUP arrives without asking */
	close(p[1]);
	ck_assert_int_eq(evloop_run_once(loop, 1000), 1);
	ck_assert(rec.events & EPOLLHUP);
	ck_assert_int_eq(evloop_del_fd(loop, p[0]), 0);
	close(p[0]);
	evloop_free(loop);
}
END_TEST

START_TEST(test_fd_errors)
{
	struct evloop *loop;
	struct fdrec rec;
	int p[2], dfd;

	ck_assert_ptr_nonnull(loop = evloop_new());
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(evloop_add_fd(loop, -1, EPOLLIN, read_cb, &rec),
	    -EBADF);
	ck_assert_int_eq(evloop_add_fd(loop, p[0], EPOLLIN, NULL, &rec),
	    -EINVAL);
	ck_assert_int_eq(evloop_add_fd(loop, p[0], EPOLLIN, read_cb, &rec), 0);
	ck_assert_int_eq(evloop_add_fd(loop, p[0], EPOLLIN, read_cb, &rec),
	    -EEXIST);
	ck_assert_int_eq(evloop_mod_fd(loop, p[1], EPOLLOUT), -ENOENT);
	ck_assert_int_eq(evloop_del_fd(loop, p[1]), -ENOENT);
	ck_assert_int_eq(evloop_del_fd(loop, 100000), -ENOENT);
	/* not open, and open but not pollable: epoll's error comes back */
	ck_assert_int_eq(evloop_add_fd(loop, 100000, EPOLLIN, read_cb, &rec),
	    -EBADF);
	ck_assert_int_ge(dfd = open(".", O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(evloop_add_fd(loop, dfd, EPOLLIN, read_cb, &rec),
	    -EPERM);
	close(dfd);
	ck_assert_int_eq(evloop_del_fd(loop, p[0]), 0);
	ck_assert_int_eq(evloop_del_fd(loop, p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	evloop_free(loop);
}
END_TEST

START_TEST(test_fd_mod)
{
	struct evloop *loop;
	struct fdrec rec;
	int p[2];

	memset(&rec, 0, sizeof rec);
	ck_assert_ptr_nonnull(loop = evloop_new());
	ck_assert_int_eq(pipe(p), 0);
	/* the write end, watched for nothing: silent */
	ck_assert_int_eq(evloop_add_fd(loop, p[1], 0, read_cb, &rec), 0);
	ck_assert_int_eq(evloop_run_once(loop, 20), 0);
	ck_assert_int_eq(evloop_mod_fd(loop, p[1], EPOLLOUT), 0);
	ck_assert_int_eq(evloop_run_once(loop, 1000), 1);
	ck_assert(rec.events & EPOLLOUT);
	ck_assert_int_eq(evloop_mod_fd(loop, p[1], 0), 0);
	ck_assert_int_eq(evloop_run_once(loop, 20), 0);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(evloop_del_fd(loop, p[1]), 0);
	close(p[0]);
	close(p[1]);
	evloop_free(loop);
}
END_TEST

/*
 * Two readable pipes in one batch.  Whichever callback runs first removes
 * the other pipe's read end, puts a new pipe's read end on the same fd
 * number and registers it with a callback that must not see the stale
 * event of the batch.  Then it removes itself.
 */
struct batch {
	struct evloop	*loop;
	int		 rd[2], wr[2];
	int		 calls[2];
	int		 reused[2];	/* the new pipe */
	int		 stale;
};

static void
stale_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct batch *b = arg;

	(void)loop;
	(void)fd;
	(void)events;
	b->stale++;
}

static void
batch_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct batch *b = arg;
	int me = fd == b->rd[0] ? 0 : 1, other = 1 - me, np[2];

	(void)events;
	b->calls[me]++;
	ck_assert_int_eq(evloop_del_fd(loop, b->rd[other]), 0);
	/* a new pipe on the very fd number (dup2 closes the old one) */
	ck_assert_int_eq(pipe(np), 0);
	ck_assert_int_eq(dup2(np[0], b->rd[other]), b->rd[other]);
	close(np[0]);
	b->reused[0] = b->rd[other];
	b->reused[1] = np[1];
	ck_assert_int_eq(evloop_add_fd(loop, b->reused[0], EPOLLIN, stale_cb,
	    b), 0);
	b->rd[other] = -1;
	ck_assert_int_eq(evloop_del_fd(loop, fd), 0);
}

START_TEST(test_del_in_batch)
{
	struct batch b;
	int i, p[2];

	memset(&b, 0, sizeof b);
	ck_assert_ptr_nonnull(b.loop = evloop_new());
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(p), 0);
		b.rd[i] = p[0];
		b.wr[i] = p[1];
		ck_assert_int_eq(evloop_add_fd(b.loop, p[0], EPOLLIN, batch_cb,
		    &b), 0);
		ck_assert_int_eq(write(p[1], "y", 1), 1);
	}
	/* both are ready before the wait, so one epoll_wait returns both */
	ck_assert_int_eq(evloop_run_once(b.loop, 1000), 1);
	ck_assert_int_eq(b.calls[0] + b.calls[1], 1);
	ck_assert_int_eq(b.stale, 0);
	/* the loop goes on: the new registration works */
	ck_assert_int_eq(write(b.reused[1], "z", 1), 1);
	ck_assert_int_eq(evloop_run_once(b.loop, 1000), 1);
	ck_assert_int_eq(b.stale, 1);
	ck_assert_int_eq(evloop_del_fd(b.loop, b.reused[0]), 0);
	for (i = 0; i < 2; i++) {
		if (b.rd[i] >= 0)
			close(b.rd[i]);
		close(b.wr[i]);
		close(b.reused[i]);
	}
	evloop_free(b.loop);
}
END_TEST

/* ---- timers -------------------------------------------------------------- */

#define LOG_MAX 64

struct tlog {
	uint64_t	 start;
	int		 n;
	int		 who[LOG_MAX];
	uint64_t	 at[LOG_MAX];	/* ms since start */
	int64_t		 periodic_id;
	int		 periodic_calls;
	int		 stop_after;	/* periodic calls, then cancel */
};

struct tag {
	struct tlog	*log;
	int		 who;
};

static void
tlog_add(struct tlog *l, int who)
{
	ck_assert_int_lt(l->n, LOG_MAX);
	l->who[l->n] = who;
	l->at[l->n] = now_ms() - l->start;
	l->n++;
}

static void
tag_cb(struct evloop *loop, int64_t id, void *arg)
{
	struct tag *t = arg;

	(void)loop;
	(void)id;
	tlog_add(t->log, t->who);
}

static void
periodic_cb(struct evloop *loop, int64_t id, void *arg)
{
	struct tlog *l = arg;

	ck_assert(id == l->periodic_id);
	tlog_add(l, 0);
	if (++l->periodic_calls == l->stop_after) {
		/* cancelling the timer that is firing */
		ck_assert_int_eq(evloop_timer_cancel(loop, id), 0);
	}
}

START_TEST(test_timers_order)
{
	struct evloop *loop;
	struct tlog l;
	struct tag a, b, c;
	int64_t ida, idb, idc;
	uint64_t until;
	int i, last_a = -1, last_b = -1, last_c = -1;

	memset(&l, 0, sizeof l);
	ck_assert_ptr_nonnull(loop = evloop_new());
	a = (struct tag){ &l, 1 };
	b = (struct tag){ &l, 2 };
	c = (struct tag){ &l, 3 };
	l.start = now_ms();
	l.stop_after = 4;
	ck_assert_int_gt(idc = evloop_timer_add(loop, 150, 0, tag_cb, &c), 0);
	ck_assert_int_gt(ida = evloop_timer_add(loop, 10, 0, tag_cb, &a), 0);
	ck_assert_int_gt(idb = evloop_timer_add(loop, 60, 0, tag_cb, &b), 0);
	ck_assert_int_gt(l.periodic_id = evloop_timer_add(loop, 25, 1,
	    periodic_cb, &l), 0);
	ck_assert(ida != idb && idb != idc && idc != l.periodic_id);
	/* 4 periodic ticks end near 100 ms, c at 150: wait for both */
	until = now_ms() + 5000;
	while ((last_c < 0 || l.periodic_calls < 4) && now_ms() < until) {
		ck_assert_int_ge(evloop_run_once(loop, 1000), 0);
		for (i = 0; i < l.n; i++) {
			if (l.who[i] == 1)
				last_a = i;
			if (l.who[i] == 2)
				last_b = i;
			if (l.who[i] == 3)
				last_c = i;
		}
	}
	ck_assert_int_ge(last_c, 0);
	/* one-shots fire once each, in deadline order; a (10) before tick 1 */
	ck_assert_int_eq(l.n, 3 + 4);
	ck_assert_int_eq(l.who[0], 1);
	ck_assert_int_lt(last_a, last_b);
	ck_assert_int_lt(last_b, last_c);
	ck_assert_int_eq(l.periodic_calls, 4);
	/* never early; not absurdly late */
	ck_assert_uint_ge(l.at[last_a], 10);
	ck_assert_uint_ge(l.at[last_b], 60);
	ck_assert_uint_ge(l.at[last_c], 150);
	ck_assert_uint_lt(l.at[last_c], 4000);
	for (i = 0; i < l.n; i++)
		if (l.who[i] == 0)
			ck_assert_uint_ge(l.at[i], 25);
	/* the periodic cancelled itself; the fired one-shots are gone */
	ck_assert_int_eq(evloop_timer_cancel(loop, l.periodic_id), -ENOENT);
	ck_assert_int_eq(evloop_timer_cancel(loop, ida), -ENOENT);
	ck_assert_int_eq(evloop_run_once(loop, 80), 0);
	ck_assert_int_eq(l.periodic_calls, 4);
	evloop_free(loop);
}
END_TEST

START_TEST(test_periodic_interval)
{
	struct evloop *loop;
	struct tlog l;
	uint64_t until;
	int i;

	memset(&l, 0, sizeof l);
	ck_assert_ptr_nonnull(loop = evloop_new());
	l.start = now_ms();
	l.stop_after = 5;
	ck_assert_int_gt(l.periodic_id = evloop_timer_add(loop, 20, 1,
	    periodic_cb, &l), 0);
	until = now_ms() + 5000;
	while (l.periodic_calls < 5 && now_ms() < until)
		ck_assert_int_ge(evloop_run_once(loop, -1), 0);
	ck_assert_int_eq(l.periodic_calls, 5);
	/* tick k is due at 20 * k ms: never before, and the phase holds */
	for (i = 0; i < 5; i++)
		ck_assert_uint_ge(l.at[i], 20 * (uint64_t)(i + 1));
	ck_assert_uint_lt(l.at[4], 3000);
	evloop_free(loop);
}
END_TEST

START_TEST(test_timer_cancel)
{
	struct evloop *loop;
	struct tlog l;
	struct tag a, b;
	int64_t ida, idb;

	memset(&l, 0, sizeof l);
	ck_assert_ptr_nonnull(loop = evloop_new());
	a = (struct tag){ &l, 1 };
	b = (struct tag){ &l, 2 };
	l.start = now_ms();
	ck_assert_int_gt(ida = evloop_timer_add(loop, 20, 0, tag_cb, &a), 0);
	ck_assert_int_gt(idb = evloop_timer_add(loop, 30, 1, tag_cb, &b), 0);
	ck_assert_int_eq(evloop_timer_cancel(loop, ida), 0);
	ck_assert_int_eq(evloop_timer_cancel(loop, ida), -ENOENT);
	ck_assert_int_eq(evloop_timer_cancel(loop, idb), 0);
	ck_assert_int_eq(evloop_timer_cancel(loop, 12345), -ENOENT);
	/* nothing left: waits the whole 100 ms and calls nobody */
	ck_assert_int_eq(evloop_run_once(loop, 100), 0);
	ck_assert_uint_ge(now_ms() - l.start, 100);
	ck_assert_int_eq(l.n, 0);
	/* bad arguments */
	ck_assert_int_eq(evloop_timer_add(loop, 0, 1, tag_cb, &a), -EINVAL);
	ck_assert_int_eq(evloop_timer_add(loop, 5, 0, NULL, &a), -EINVAL);
	/* a zero-delay one-shot fires at the next pass */
	ck_assert_int_gt(evloop_timer_add(loop, 0, 0, tag_cb, &a), 0);
	ck_assert_int_eq(evloop_run_once(loop, 1000), 1);
	ck_assert_int_eq(l.n, 1);
	evloop_free(loop);
}
END_TEST

/* Many timers, cancelled in a scrambled order: the heap stays a heap. */
#define MANY 200

struct many {
	int	 order[MANY];
	int	 n;
	int	 hits[MANY];
};

struct many_tag {
	struct many	*m;
	int		 i;
};

static unsigned int
many_ms(int i)
{
	return 1 + (unsigned int)(i * 37) % 50;	/* 1..50, interleaved */
}

static void
many_cb(struct evloop *loop, int64_t id, void *arg)
{
	struct many_tag *t = arg;

	(void)loop;
	(void)id;
	t->m->hits[t->i]++;
	ck_assert_int_lt(t->m->n, MANY);
	t->m->order[t->m->n++] = t->i;
}

START_TEST(test_timer_many)
{
	struct evloop *loop;
	struct many m;
	struct many_tag tags[MANY];
	int64_t ids[MANY];
	uint64_t until;
	int i, want = 0, a, b;

	memset(&m, 0, sizeof m);
	ck_assert_ptr_nonnull(loop = evloop_new());
	for (i = 0; i < MANY; i++) {
		tags[i] = (struct many_tag){ &m, i };
		ck_assert_int_gt(ids[i] = evloop_timer_add(loop, many_ms(i), 0,
		    many_cb, &tags[i]), 0);
	}
	/* cancel every third, scattered through the heap */
	for (i = 0; i < MANY; i++) {
		if (i % 3 == 0)
			ck_assert_int_eq(evloop_timer_cancel(loop, ids[i]), 0);
		else
			want++;
	}
	until = now_ms() + 5000;
	while (m.n < want && now_ms() < until)
		ck_assert_int_ge(evloop_run_once(loop, 1000), 0);
	ck_assert_int_eq(m.n, want);
	for (i = 0; i < MANY; i++)
		ck_assert_int_eq(m.hits[i], i % 3 == 0 ? 0 : 1);
	/* deadline order; equal delays in the order they were armed */
	for (i = 1; i < m.n; i++) {
		a = m.order[i - 1];
		b = m.order[i];
		ck_assert(many_ms(a) < many_ms(b) ||
		    (many_ms(a) == many_ms(b) && a < b));
	}
	ck_assert_int_eq(evloop_run_once(loop, 0), 0);
	evloop_free(loop);
}
END_TEST

/* A zero-delay timer that re-arms itself: one call per pass, no spin. */
static void
rearm_cb(struct evloop *loop, int64_t id, void *arg)
{
	int *calls = arg;

	(void)id;
	(*calls)++;
	ck_assert_int_gt(evloop_timer_add(loop, 0, 0, rearm_cb, arg), 0);
}

START_TEST(test_timer_rearm_in_callback)
{
	struct evloop *loop;
	int i, calls = 0;

	ck_assert_ptr_nonnull(loop = evloop_new());
	ck_assert_int_gt(evloop_timer_add(loop, 0, 0, rearm_cb, &calls), 0);
	for (i = 1; i <= 5; i++) {
		ck_assert_int_eq(evloop_run_once(loop, 1000), 1);
		ck_assert_int_eq(calls, i);
	}
	evloop_free(loop);
}
END_TEST

/* ---- stop ---------------------------------------------------------------- */

static void
stop_cb(struct evloop *loop, int64_t id, void *arg)
{
	int *calls = arg;

	(void)id;
	if (++*calls % 3 == 0)
		evloop_stop(loop);
}

START_TEST(test_stop_from_callback)
{
	struct evloop *loop;
	int calls = 0;

	ck_assert_ptr_nonnull(loop = evloop_new());
	ck_assert_int_gt(evloop_timer_add(loop, 5, 1, stop_cb, &calls), 0);
	ck_assert_int_eq(evloop_run(loop), 0);
	ck_assert_int_eq(calls, 3);
	/* the stop request was consumed: a second run goes on, and stops */
	ck_assert_int_eq(evloop_run(loop), 0);
	ck_assert_int_eq(calls, 6);
	evloop_free(loop);
}
END_TEST

static void *
stopper(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	evloop_stop(arg);
	return NULL;
}

START_TEST(test_stop_before_run)
{
	struct evloop *loop;

	ck_assert_ptr_nonnull(loop = evloop_new());
	/* a stop asked before the run is honoured, not lost */
	evloop_stop(loop);
	ck_assert_int_eq(evloop_run(loop), 0);
	/* and consumed: the wake-up was drained, a pass times out quietly */
	ck_assert_int_eq(evloop_run_once(loop, 10), 0);
	evloop_free(loop);
}
END_TEST

START_TEST(test_stop_from_thread)
{
	struct evloop *loop;
	pthread_t th;
	uint64_t t0;

	ck_assert_ptr_nonnull(loop = evloop_new());
	t0 = now_ms();
	ck_assert_int_eq(pthread_create(&th, NULL, stopper, loop), 0);
	/* no fds, no timers: only the wake-up can end this */
	ck_assert_int_eq(evloop_run(loop), 0);
	ck_assert_uint_ge(now_ms() - t0, 40);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	evloop_free(loop);
}
END_TEST

static void
nested_cb(struct evloop *loop, int64_t id, void *arg)
{
	int *r = arg;

	(void)id;
	r[0] = evloop_run_once(loop, 0);
	r[1] = evloop_run(loop);
}

START_TEST(test_no_nesting)
{
	struct evloop *loop;
	int r[2] = { 0, 0 };

	ck_assert_ptr_nonnull(loop = evloop_new());
	ck_assert_int_gt(evloop_timer_add(loop, 0, 0, nested_cb, r), 0);
	ck_assert_int_eq(evloop_run_once(loop, 1000), 1);
	ck_assert_int_eq(r[0], -EBUSY);
	ck_assert_int_eq(r[1], -EBUSY);
	evloop_free(loop);
}
END_TEST

static Suite *
evloop_suite(void)
{
	Suite *s = suite_create("evloop");
	TCase *fds = tcase_create("fds");
	TCase *timers = tcase_create("timers");
	TCase *run = tcase_create("run");

	tcase_add_test(fds, test_fd_fires);
	tcase_add_test(fds, test_fd_errors);
	tcase_add_test(fds, test_fd_mod);
	tcase_add_test(fds, test_del_in_batch);
	tcase_set_timeout(timers, 20);
	tcase_add_test(timers, test_timers_order);
	tcase_add_test(timers, test_periodic_interval);
	tcase_add_test(timers, test_timer_cancel);
	tcase_add_test(timers, test_timer_many);
	tcase_add_test(timers, test_timer_rearm_in_callback);
	tcase_add_test(run, test_stop_from_callback);
	tcase_add_test(run, test_stop_before_run);
	tcase_add_test(run, test_stop_from_thread);
	tcase_add_test(run, test_no_nesting);
	suite_add_tcase(s, fds);
	suite_add_tcase(s, timers);
	suite_add_tcase(s, run);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(evloop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
