/*
 * libguievict.so internals: the state of the one X connection the library
 * manages inside the program, shared by
 *
 *   hijack.c  guievict_hijack(): the entry point guievictor calls (through
 *             guievict-inject's init call) while every thread of the
 *             program is stopped at a safe point;
 *   got.c     the hooks: libxcb's GOT entries for writev, write, sendmsg,
 *             recvmsg, recv, shutdown and close now point at hook.c;
 *   hook.c    the I/O paths of the program's X descriptor (passthrough,
 *             translating, held while detached);
 *   ops.c     detach, attach and move (sentinel, capture, regeneration);
 *   ctl.c     the control thread and its socket.
 *
 * Locking: gv.lock guards everything below it.  Hooks take it only for
 * the managed descriptor; the control thread holds it while it changes
 * state and while it synchronizes with the server (a program thread that
 * calls into xcb meanwhile waits, as it would for a slow server).  Our own
 * X connections (capture, regeneration) are other descriptors: their
 * libxcb calls pass through the hooks untouched.  docs/design/guievict.md.
 */
#ifndef EVICT_GV_LIB_H
#define EVICT_GV_LIB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <xcb/xcb.h>

#include "guievict/ctlproto.h"
#include "guievict/guimux/xlate.h"
#include "guievict/xsession/session.h"

#define GV_HOLD_MAX	(64u << 20)	/* requests held while detached */
#define GV_OUT_MAX	(4u << 20)	/* unsent translated bytes */
#define GV_SYNC_MS	5000		/* the sentinel's answer */
#define GV_BOUNDARY_MS	2000		/* a half-written request to end */
#define GV_XOP_MS	30000		/* capture or regeneration */
#define GV_XCB_QUEUE	4096		/* libxcb 1.x: sizeof c->in.queue */

/* A growable byte buffer read from its front. */
struct gbuf {
	uint8_t	*d;
	size_t	 off, len, cap;		/* bytes at d[off..len) */
};

size_t	gbuf_used(const struct gbuf *b);
int	gbuf_append(struct gbuf *b, const void *p, size_t n);
int	gbuf_append_iov(struct gbuf *b, const struct iovec *iov, int n);
void	gbuf_consume(struct gbuf *b, size_t n);
/* Room for n more bytes at the end (compacting first); NULL: no memory. */
uint8_t *gbuf_room(struct gbuf *b, size_t n);
void	gbuf_free(struct gbuf *b);

/* The real functions behind the hooks (dlsym(RTLD_DEFAULT)). */
struct gv_real {
	ssize_t	(*writev)(int, const struct iovec *, int);
	ssize_t	(*write)(int, const void *, size_t);
	ssize_t	(*sendmsg)(int, const struct msghdr *, int);
	ssize_t	(*recvmsg)(int, struct msghdr *, int);
	ssize_t	(*recv)(int, void *, size_t, int);
	int	(*shutdown)(int, int);
	int	(*close)(int);
};
extern struct gv_real gv_real;

struct gv_auth {
	int	 set;			/* 0: the program's own (XAUTHORITY) */
	uint16_t name_len, data_len;
	char	 name[GVC_AUTH_MAX];
	uint8_t	 data[GVC_AUTH_MAX];
};

struct gv {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* boundary reached, state changed */
	int		 fd;		/* the program's X descriptor (-1: none) */
	int		 state;		/* enum gvc_state */
	int		 fd_cloexec;
	int		 seeded;	/* first read after the hijack seen */
	struct xl	 xl;

	/* program -> server */
	struct gbuf	 cin;		/* an incomplete request (translating) */
	struct gbuf	 out;		/* translated, not yet written */
	struct gbuf	 hold;		/* raw requests while detached/moving */
	/* server -> program */
	struct gbuf	 sin;		/* read, not yet translated */
	struct gbuf	 pend;		/* for the program, in its space */
	int		 need_kick;	/* pend waits and the socket is quiet */
	int		 kick_out;	/* a kick is on its way */

	int		 ph_wr;		/* our end of the placeholder, or -1 */
	int		 ph_signaled;	/* a wake byte sits in the placeholder */
	int		 retired[8];	/* old placeholder ends to close */
	uint64_t	 retired_at[8];

	/* where we are */
	char		 display[GVC_STR_MAX];
	char		 origin[GVC_STR_MAX];
	struct gv_auth	 auth;		/* for display */
	int		 snapshot_done;	/* program space read (first detach) */
	uint32_t	 p_root;	/* the program's root window */
	struct xs_session *session;	/* while detached */
	int		 sync_done;	/* the sentinel's error came back */

	/* fonts (and GC fonts) we made at the last attach: capture hints */
	struct gv_hint {
		uint32_t	   id;		/* on the current server */
		char		  *name;
		struct xs_fontgeom geom;
	}		*hints;
	size_t		 nhints;
	struct gv_whint {
		uint32_t	   id;		/* on the current server */
		uint8_t		   bg_kind;	/* XS_BG_NONE or XS_BG_PIXEL */
		uint8_t		   border_known;
		uint32_t	   bg_pixel, border_pixel;
	}		*whints;
	size_t		 nwhints;
	struct xs_grab	*ghints;	/* passive grabs we made, server ids */
	size_t		 nghints;
	struct xs_gc	*gchints;	/* GCs we made (no images), server ids */
	size_t		 ngchints;

	/*
	 * Fonts of the program no GC uses, left unopened at the last attach:
	 * the first request that names one opens it, on a connection of ours
	 * (dfont_c: it holds them), under the id the translator maps it to.
	 */
	struct gv_dfont {
		uint32_t	   id;		/* on the current server */
		char		  *name;
		struct xs_fontgeom geom;
		int		   opened;
	}		*dfonts;
	size_t		 ndfonts;
	xcb_connection_t *dfont_c;

	/* numbers for status */
	uint32_t	 moves;
	uint64_t	 detach_us, attach_us;
	char		 note[GVC_STR_MAX];
	int		 listen_fd;
};
extern struct gv gv;

uint64_t gv_now_us(void);

/* got.c */
struct got_hook {
	const char	*name;
	void		*hook;
};
/*
 * Points the GOT entries (PLT and GLOB_DAT) of the loaded object whose
 * file name is soname at the hooks.  Returns how many entries were
 * patched (> 0), -ENOENT when no such object is loaded, -EPROTO when it
 * uses none of the names, or -errno (mprotect).
 */
int	got_patch(const char *soname, const struct got_hook *h, size_t n);

/* hook.c */
int	hook_install(void);
/* Writes out[] whole (lock held), reading what the server sends meanwhile. */
int	hook_flush_out(int timeout_ms);
/* Makes pend reach the program: a kick request, or the placeholder byte. */
void	hook_wake_program(void);
/* Injects a request of ours at a boundary (lock held; translating state). */
int	hook_inject(const uint8_t *req, size_t len, uint32_t tag);

/* ops.c */
int	ops_detach(uint32_t flags, struct gvc_result *res);
int	ops_attach(const struct gvc_cmd *cmd, struct gvc_result *res);
int	ops_move(const struct gvc_cmd *cmd, struct gvc_result *res);
/* Closes old placeholder ends (lock held). */
void	ops_housekeeping(void);
/* The display name that reaches the peer of fd (":5", "10.0.0.1:2"). */
int	ops_display_of_fd(int fd, char *out, size_t outsz);

/* ctl.c */
int	ctl_start(void);

#endif
