/*
 * xlate: guimux's translator, the state machine that sits between an
 * unmodified X program and whichever X server it is attached to, so that
 * the program never notices that its server changed (dissertation 4.2.5).
 *
 * Two byte streams, each split with guievict/xsession/xproto:
 *
 *   program -> server  requests.  Resource ids and atoms are rewritten from
 *                      the program's space (the ids and atoms of the server
 *                      it started on) into the current server's; extension
 *                      major opcodes likewise.  Length-preserving and in
 *                      place: a request the server cannot take (an
 *                      extension it lacks) becomes a request with major
 *                      opcode 0 of the same length, which the server
 *                      answers with BadRequest at the same sequence number.
 *   server -> program  replies, events, errors.  Sequence numbers are
 *                      rewritten into the program's count, ids and atoms
 *                      back into its space, extension event and error codes
 *                      too; replies and errors to requests guimux injected
 *                      itself (the sentinel, kicks, exposures) are taken
 *                      out of the stream and handed to a callback.
 *
 * Sequence numbers: the server counts every request it got on this
 * connection (sseq), the program only its own (pseq).  A server message
 * carries the 16-bit sseq of the last request processed; the program's
 * number for it is sseq - delta, where delta counts the requests guimux
 * injected before and at that point.
 *
 * Modes: identity (the program's first server: ids and atoms unchanged,
 * nothing to translate until something is injected) and translating (after
 * an attach).  Until the first sentinel's error comes back the sequence
 * numbers of the connection are unknown ("uncalibrated"); the sentinel is
 * recognised by its content (GetGeometry of XL_SENTINEL_ID, BadDrawable).
 *
 * Pure: no I/O.  Every input is bounds-checked; a stream that cannot be
 * split (a length the parser refuses) is passed on unchanged from there on
 * ("broken"), so that the server, not guimux, decides what happens to it.
 */
#ifndef EVICT_GV_XLATE_H
#define EVICT_GV_XLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guievict/guimux/u32map.h"
#include "guievict/xsession/xproto.h"

/* An id no server ever hands out (the top three bits must be zero). */
#define XL_SENTINEL_ID		0xe7e57000u
#define XL_PREDEF_ATOMS		68	/* atoms 1..68 are the same everywhere */
#define XL_MAX_EXT		64
#define XL_EXT_NAME		32
#define XL_MAX_REFS		64	/* refs looked at in one go */
#define XL_GC_NVALUES		23	/* function .. arc-mode */

/* Kinds in struct xl's win_bg and win_bd (stored as kind + 1: never 0). */
#define XL_BG_NONE	1
#define XL_BG_PIXEL	2
#define XL_BG_UNKNOWN	3

/* Tags of injected requests, handed back with their reply or error. */
enum xl_tag {
	XL_TAG_SENTINEL = 1,
	XL_TAG_KICK,		/* GetInputFocus: only to make the socket readable */
	XL_TAG_QUIET,		/* anything whose answer nobody wants */
	XL_TAG_USER = 100,	/* and up: the caller's */
};

/* One extension, as the program knows it and as the server has it. */
struct xl_ext {
	char	 name[XL_EXT_NAME];
	uint8_t	 p_major, p_event, p_error;	/* 0: the program does not have it */
	uint8_t	 s_major, s_event, s_error;	/* 0: the server does not have it */
};

/* A request that may be answered: what its reply needs to be read. */
struct xl_rec {
	uint64_t sseq;
	uint8_t  major;		/* the program's major opcode */
	uint8_t  minor;
	uint8_t  zeroed;	/* sent with major 0 (extension absent) */
	char	*name;		/* InternAtom, QueryExtension: the name */
};

struct xl_inj {
	uint64_t sseq;
	uint32_t tag;
};

/* Called for the reply or error to an injected request (msg: the message). */
typedef void (*xl_injected_fn)(void *arg, uint32_t tag, const uint8_t *msg,
    size_t len);

struct xl_stats {
	uint64_t requests, messages, swallowed, ids_allocated, unknown_ext;
	uint64_t atoms_invented;
};

struct xl {
	struct xp_conn	pcx;		/* program space (its extension codes) */
	struct xp_conn	scx;		/* server space */

	int		translate;	/* ids, atoms, codes through the tables */
	int		calibrated;	/* sseq and pseq are known */
	int		c_broken, s_broken;

	/* ids */
	uint32_t	p_base, p_mask;	/* the program's client range */
	uint32_t	s_base, s_mask;	/* ours on the current server */
	uint32_t	s_next;		/* next id to hand out (within s_mask) */
	uint32_t	p_alias;	/* aliases handed down from the top */
	struct u32map	id_p2s, id_s2p;

	/* atoms */
	struct u32map	atom_p2s, atom_s2p;
	uint32_t	p_atom_next;	/* next program atom to invent */
	char	      **names;		/* names[p atom], NULL: unknown */
	size_t		nnames;		/* size of names[] */
	uint32_t	a_wm_protocols;	/* the program's atoms of these */
	uint32_t	a_net_wm_state;

	/* extensions */
	struct xl_ext	ext[XL_MAX_EXT];
	int		next;
	uint8_t		maj_p2s[256], maj_s2p[256];
	uint8_t		ev_s2p[128], ev_p2s[128];
	uint8_t		err_s2p[256];

	/* sequence numbers */
	uint64_t	pseq;		/* the program's last request */
	uint64_t	sseq;		/* the last request the server got */
	uint64_t	delta;		/* injected requests already answered */
	struct xl_inj  *inj;		/* injected, oldest first */
	size_t		ninj, capinj;
	struct xl_rec  *rec;		/* ring of answerable requests */
	size_t		rec_head, nrec, caprec;

	/* passthrough scanning (identity mode, zero copy) */
	uint8_t		c_hdr[8];
	size_t		c_hdrlen, c_left;
	uint8_t		s_hdr[8];
	size_t		s_hdrlen, s_left;

	/*
	 * Server ids whose state may have changed since the attach in ways
	 * a capture cannot see without probing (fonts opened, GCs created or
	 * given a font, windows created or given a background or border):
	 * the capture must not trust what guievict knew of them.
	 */
	struct u32map	hint_dirty;
	/* the program grabbed or ungrabbed a key or button since the attach */
	int		grabs_dirty;
	/*
	 * GC values the program set with ChangeGC since the attach, by server
	 * GC (gc_idx: GC -> index + 1 in gc_set); gc_dirty: GCs whose state
	 * the translator does not follow (SetDashes, SetClipRectangles, the
	 * destination of CopyGC, a tile, stipple, clip mask or dashes given
	 * with ChangeGC): a capture probes those.
	 */
	struct xl_gcset {
		uint32_t gc, mask;	/* bit i: X's GC value i is in v[i] */
		uint32_t v[XL_GC_NVALUES];
	}	       *gc_set;
	size_t		ngc_set, capgc_set;
	struct u32map	gc_idx, gc_dirty;
	/*
	 * Fonts not opened yet on this server (server ids): the first request
	 * that names one calls on_font_needed, before it is sent, and the
	 * font leaves the set.
	 */
	struct u32map	fonts_deferred;
	void	      (*on_font_needed)(void *arg, uint32_t font);
	/*
	 * Backgrounds and borders the program set after the attach with
	 * ChangeWindowAttributes, by server window: win_bg holds
	 * XL_BG_NONE, XL_BG_PIXEL (pixel in win_bg_pixel) or XL_BG_UNKNOWN;
	 * win_bd a 1 (pixel in win_bd_pixel) or XL_BG_UNKNOWN.
	 */
	struct u32map	win_bg, win_bg_pixel, win_bd, win_bd_pixel;

	xl_injected_fn	on_injected;
	void	       *cb_arg;
	struct xl_stats	st;
};

void	xl_init(struct xl *x);
/* What the program set on server GC gc since the attach, or NULL. */
const struct xl_gcset *xl_gc_changes(const struct xl *x, uint32_t gc);
void	xl_free(struct xl *x);

/* ---- passthrough (identity mode) --------------------------------------- */

/* True when the program's bytes may go to the server unchanged. */
int	xl_c2s_passthrough(const struct xl *x);
/* True when the server's bytes may go to the program unchanged. */
int	xl_s2c_passthrough(const struct xl *x);
/* Advances over n bytes that went to the server unchanged. */
void	xl_c2s_scan(struct xl *x, const uint8_t *p, size_t n);
void	xl_c2s_scan_iov(struct xl *x, const struct iovec *iov, int iovcnt,
	    size_t n);
/* Advances over n bytes that went to the program unchanged. */
void	xl_s2c_scan(struct xl *x, const uint8_t *p, size_t n);
/* True between requests / between messages. */
int	xl_c2s_at_boundary(const struct xl *x);
int	xl_s2c_at_boundary(const struct xl *x);

/* ---- translation (in place) --------------------------------------------- */

/*
 * Translates the complete requests at the start of p[0..n) in place and
 * returns how many bytes they take (the rest is an incomplete request the
 * caller keeps for later).  Never fails: a request that cannot be read is
 * left as it is.
 */
size_t	xl_c2s(struct xl *x, uint8_t *p, size_t n);

/*
 * Translates the complete messages at the start of p[0..n) in place,
 * dropping those that are answers to injected requests (the callback gets
 * them first).  *consumed: bytes of input used; returns the bytes of output
 * now at p[0..).  An incomplete message stays at p[*consumed..n).  While
 * the connection was mid-message (after passthrough scanning), the rest of
 * that message passes unchanged first.
 */
size_t	xl_s2c(struct xl *x, uint8_t *p, size_t n, size_t *consumed);

/* ---- injection ------------------------------------------------------------ */

/*
 * Accounts for a request of guimux's own (len bytes at req, already in
 * server space) about to be written at a request boundary.  0, -ENOMEM.
 */
int	xl_inject(struct xl *x, const uint8_t *req, size_t len, uint32_t tag);
/* Builds the sentinel request (8 bytes, GetGeometry of XL_SENTINEL_ID). */
void	xl_sentinel_req(const struct xl *x, uint8_t out[8]);
/* A GetInputFocus request (4 bytes). */
void	xl_kick_req(const struct xl *x, uint8_t out[4]);
/* Injected requests not yet answered. */
size_t	xl_injected_pending(const struct xl *x);

/* ---- set-up of the program and server spaces ------------------------------ */

int	xl_set_program_range(struct xl *x, uint32_t base, uint32_t mask);
/*
 * Switches to translating mode for a new server connection: clears the
 * server side (id and atom maps, extension codes, injected and pending
 * requests), with the server's id range, the next id free in it, and the
 * sequence numbers at the switch (the program's last request and the
 * server's last one on this connection).
 */
int	xl_attach_begin(struct xl *x, uint32_t s_base, uint32_t s_mask,
	    uint32_t s_next, uint64_t pseq, uint64_t sseq);
/* One id pair (program space -> server space). */
int	xl_map_id(struct xl *x, uint32_t p, uint32_t s);
/* The server id of program id p (0: none). */
uint32_t xl_id_p2s(const struct xl *x, uint32_t p);
/* Program atom p is called name; 0 or -ENOMEM. */
int	xl_name_atom(struct xl *x, uint32_t p, const char *name);
const char *xl_atom_name(const struct xl *x, uint32_t p);
/* The program atom called name (0: none). */
uint32_t xl_atom_by_name(const struct xl *x, const char *name);
int	xl_map_atom(struct xl *x, uint32_t p, uint32_t s);
uint32_t xl_atom_p2s(const struct xl *x, uint32_t p);
/* An extension of the program (p_*) or of the server (s_*), by name. */
int	xl_ext_program(struct xl *x, const char *name, uint8_t major,
	    uint8_t event, uint8_t error);
int	xl_ext_server(struct xl *x, const char *name, uint8_t major,
	    uint8_t event, uint8_t error);
/* Recomputes the code tables after the xl_ext_* calls. */
void	xl_ext_done(struct xl *x);

/*
 * Clears the translating state's server side and returns to identity on
 * the program's own numbering (used when guimux gives up a server).
 */
void	xl_reset_server(struct xl *x);

#endif
