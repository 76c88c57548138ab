/*
 * gvm-rtt: an X client for guievict's benchmark and tests.  It maps a
 * small window, then waits in poll() on standard input and its X
 * connection (so that guievictor finds it at a safe point), and obeys one
 * command per line on standard input:
 *
 *   rtt N       N GetInputFocus round trips, one after the other; prints
 *               "rtt n=N median_us=M p99_us=P mean_us=A min_us=L"
 *   ping        one round trip; prints "pong"
 *   half        writes the first half of a request (NoOperation, 8 bytes)
 *               through libxcb (xcb_take_socket + xcb_writev) and stops
 *   rest        writes the other half; prints "rest"
 *   badlen      a CreateWindow 8 bytes long: the server's BadLength is the
 *               program's own doing; prints "error N" and goes on
 *   quit
 *
 * The round trip is the dissertation's interactive overhead (4.3.2): a
 * request of minimal size (4 bytes) and its minimal reply (32 bytes).
 * Any X error or a lost connection is printed and the program exits 3.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h>

static double
rtt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
rtt_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
rtt_one(xcb_connection_t *c)
{
	xcb_generic_error_t *e = NULL;
	xcb_get_input_focus_reply_t *r;

	r = xcb_get_input_focus_reply(c, xcb_get_input_focus(c), &e);
	if (r == NULL) {
		if (e != NULL)
			printf("error: X error %u\n", e->error_code);
		else
			printf("error: connection lost\n");
		free(e);
		return -1;
	}
	free(r);
	return 0;
}

static void
rtt_return_socket(void *closure)
{
	(void)closure;
}

/* Raw bytes through libxcb's own writev, counted as nreq requests. */
static int
rtt_raw(xcb_connection_t *c, const void *p, size_t n, int nreq)
{
	struct iovec v;
	uint64_t sent;

	if (!xcb_take_socket(c, rtt_return_socket, NULL, 0, &sent))
		return -1;
	v.iov_base = (void *)(uintptr_t)p;
	v.iov_len = n;
	return xcb_writev(c, &v, 1, (uint64_t)nreq) ? 0 : -1;
}

static int
rtt_run(xcb_connection_t *c, long n)
{
	double *t, t0, sum = 0;
	long i;

	if (n < 1 || n > 10000000 || (t = malloc((size_t)n * sizeof *t)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		t0 = rtt_now_us();
		if (rtt_one(c) != 0) {
			free(t);
			return -1;
		}
		t[i] = rtt_now_us() - t0;
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof *t, rtt_cmp);
	printf("rtt n=%ld median_us=%.2f p99_us=%.2f mean_us=%.2f min_us=%.2f\n",
	    n, t[n / 2], t[(size_t)((double)n * 0.99)], sum / (double)n, t[0]);
	free(t);
	return 0;
}

int
main(void)
{
	xcb_connection_t *c;
	xcb_screen_t *s;
	xcb_generic_event_t *ev;
	struct pollfd p[2];
	char line[128];
	uint32_t w, vals[2];
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "gvm-rtt: cannot connect to $DISPLAY\n");
		return 1;
	}
	s = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	w = xcb_generate_id(c);
	vals[0] = s->white_pixel;
	vals[1] = XCB_EVENT_MASK_EXPOSURE;
	xcb_create_window(c, XCB_COPY_FROM_PARENT, w, s->root, 10, 10, 64, 64, 1,
	    XCB_WINDOW_CLASS_INPUT_OUTPUT, s->root_visual,
	    XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK, vals);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, w, XCB_ATOM_WM_NAME,
	    XCB_ATOM_STRING, 8, 7, "gvm-rtt");
	xcb_map_window(c, w);
	if (rtt_one(c) != 0)
		return 3;
	printf("ready window=0x%x\n", w);
	p[0].fd = 0;
	p[0].events = POLLIN;
	p[1].fd = xcb_get_file_descriptor(c);
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		while ((ev = xcb_poll_for_event(c)) != NULL) {
			if (ev->response_type == 0) {
				printf("error: X error %u\n",
				    ((xcb_generic_error_t *)ev)->error_code);
				return 3;
			}
			free(ev);
		}
		if (xcb_connection_has_error(c)) {
			printf("error: connection lost\n");
			return 3;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (fgets(line, sizeof line, stdin) == NULL)
			return 0;
		if (sscanf(line, "rtt %ld", &n) == 1) {
			if (rtt_run(c, n) != 0)
				return 3;
		} else if (strncmp(line, "ping", 4) == 0) {
			if (rtt_one(c) != 0)
				return 3;
			printf("pong\n");
		} else if (strncmp(line, "half", 4) == 0) {
			static const uint8_t noop[8] = { 127, 0, 2, 0, 0, 0, 0, 0 };

			if (rtt_raw(c, noop, 4, 0) != 0)
				return 3;
			printf("half\n");
		} else if (strncmp(line, "rest", 4) == 0) {
			static const uint8_t rest[4] = { 0, 0, 0, 0 };

			if (rtt_raw(c, rest, 4, 1) != 0)
				return 3;
			printf("rest\n");
		} else if (strncmp(line, "badlen", 6) == 0) {
			xcb_generic_error_t *e;
			uint8_t req[8] = { 1, 24, 2, 0, 0, 0, 0, 0 };
			xcb_protocol_request_t pr = { 1, NULL, 1, 1 };
			struct iovec v[3];	/* two before: libxcb's */
			unsigned int seq;

			memset(v, 0, sizeof v);
			v[2].iov_base = req;
			v[2].iov_len = sizeof req;
			seq = xcb_send_request(c, XCB_REQUEST_CHECKED |
			    XCB_REQUEST_RAW, v + 2, &pr);
			e = xcb_request_check(c, (xcb_void_cookie_t){ seq });
			printf("error %u\n", e != NULL ? e->error_code : 0);
			free(e);
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		}
	}
	xcb_disconnect(c);
	return 0;
}
