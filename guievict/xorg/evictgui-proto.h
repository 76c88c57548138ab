/*
 * evictgui-proto.h: the wire of the EVICT-GUI X extension (the Xorg module
 * in evictgui.c answers it, guievict/xsession/evgui.c asks it).  Shared by
 * both sides and pure: constants only.  docs/protocol/evictgui-ext.md is
 * the reference.
 *
 * Every request is the X request header (major opcode, minor opcode,
 * length in 4-byte units) followed by 32-bit fields.  Every reply is the
 * standard 32-byte reply header whose six data words carry counts, then a
 * body of 32-bit words, then (glyph images only) raw bytes padded to 4.
 */
#ifndef EVICTGUI_PROTO_H
#define EVICTGUI_PROTO_H

#define EVGUI_NAME           "EVICT-GUI"
#define EVGUI_MAJOR          1
#define EVGUI_MINOR          0

/* Minor opcodes and request lengths (in 4-byte units, header included). */
#define EVGUI_QUERY_VERSION  0   /* client major, client minor */
#define EVGUI_GET_GC         1   /* gc */
#define EVGUI_GET_WINDOW     2   /* window, any XID of the client asked about */
#define EVGUI_GET_CURSOR     3   /* cursor */
#define EVGUI_GET_PICTURE    4   /* picture */
#define EVGUI_LIST_GLYPHS    5   /* glyphset, first index, max count */
#define EVGUI_LIST_SELECTIONS 6  /* any XID of the client asked about */
#define EVGUI_GET_DBE        7   /* a DBE back buffer */
#define EVGUI_GET_PICTURE_IMAGE 8 /* picture */
#define EVGUI_NREQUESTS      9

#define EVGUI_LEN_QUERY_VERSION 3
#define EVGUI_LEN_GET_GC        2
#define EVGUI_LEN_GET_WINDOW    3
#define EVGUI_LEN_GET_CURSOR    2
#define EVGUI_LEN_GET_PICTURE   2
#define EVGUI_LEN_LIST_GLYPHS   4
#define EVGUI_LEN_LIST_SELECTIONS 2
#define EVGUI_LEN_GET_DBE       2
#define EVGUI_LEN_GET_PICTURE_IMAGE 2

/* GetPictureImage: the pixels of a picture's drawable, also when the
 * client has freed that pixmap's id (the picture keeps it alive): header
 * words width, height, depth, number of bytes; body: the bytes as the
 * core GetImage (ZPixmap, all planes) would give them, padded to 4, not
 * swapped.  At most EVGUI_IMAGE_MAX bytes. */
#define EVGUI_IMAGE_MAX      (64u << 20)

/* ListSelections: header word 0 the number of pairs; body: window, event
 * mask, for every window of every screen on which that client selected
 * events without having created it (X-Resource's OTHERCLIENT).  At most
 * EVGUI_SELECTIONS_MAX pairs. */
#define EVGUI_SELECTIONS_MAX 65536

/* GetDbe: header words window, swap action, number of buffer ids; body:
 * the ids (the window's back-buffer names). */
#define EVGUI_DBE_IDS_MAX    1024

/* GetGC body: EVGUI_GC_NVALUES words in this order, then the dash list
 * (header word 1 bytes, padded to 4), then clip rectangles (header word 2
 * of them, 4 words each: x, y, width, height; x and y signed). */
enum evgui_gc_word {
	EVGUI_GC_FUNCTION, EVGUI_GC_PLANE_MASK, EVGUI_GC_FOREGROUND,
	EVGUI_GC_BACKGROUND, EVGUI_GC_LINE_WIDTH, EVGUI_GC_LINE_STYLE,
	EVGUI_GC_CAP_STYLE, EVGUI_GC_JOIN_STYLE, EVGUI_GC_FILL_STYLE,
	EVGUI_GC_FILL_RULE, EVGUI_GC_TILE_IS_PIXEL, EVGUI_GC_TILE,
	EVGUI_GC_STIPPLE, EVGUI_GC_TS_X, EVGUI_GC_TS_Y, EVGUI_GC_FONT,
	EVGUI_GC_SUBWINDOW_MODE, EVGUI_GC_EXPOSURES, EVGUI_GC_CLIP_X,
	EVGUI_GC_CLIP_Y, EVGUI_GC_CLIP_KIND, EVGUI_GC_DASH_OFFSET,
	EVGUI_GC_ARC_MODE, EVGUI_GC_DEPTH,
	EVGUI_GC_NVALUES
};

/* Clip kinds (GetGC and GetPicture). */
#define EVGUI_CLIP_NONE   0
#define EVGUI_CLIP_RECTS  1

/* GetWindow body: EVGUI_WIN_NVALUES words. */
enum evgui_win_word {
	EVGUI_WIN_EVENT_MASK,       /* of the client named in the request */
	EVGUI_WIN_DONT_PROPAGATE, EVGUI_WIN_BG_STATE, EVGUI_WIN_BG_VALUE,
	EVGUI_WIN_BORDER_IS_PIXEL, EVGUI_WIN_BORDER_VALUE, EVGUI_WIN_CURSOR,
	EVGUI_WIN_BIT_GRAVITY, EVGUI_WIN_WIN_GRAVITY, EVGUI_WIN_BACKING_STORE,
	EVGUI_WIN_SAVE_UNDER, EVGUI_WIN_OVERRIDE_REDIRECT,
	EVGUI_WIN_BACKING_PLANES, EVGUI_WIN_BACKING_PIXEL,
	EVGUI_WIN_CLIENT_SELECTS,   /* 1 if that client selected on it at all */
	EVGUI_WIN_NVALUES
};

/* Background states (as the core protocol's attribute). */
#define EVGUI_BG_NONE            0
#define EVGUI_BG_PARENT_RELATIVE 1
#define EVGUI_BG_PIXEL           2
#define EVGUI_BG_PIXMAP          3

/* GetCursor: header words width, height, xhot, yhot, argb (0/1); body:
 * fore red, green, blue, back red, green, blue (16-bit values in words),
 * then either width x height ARGB words, or the source and the mask
 * bitmaps, each height rows of (width + 31) / 32 words, pixel x of a row
 * in bit x % 32 (least significant first) of word x / 32. */
#define EVGUI_CURSOR_NCOLORS     6
#define EVGUI_CURSOR_MAX_SIDE    1024

/* GetPicture body: EVGUI_PIC_NVALUES words, then the filter name (header
 * word 1 bytes, padded), the filter parameters (header word 2 words), the
 * clip rectangles (header word 3, 4 words each), the gradient stops
 * (header word 4, 5 words each: offset, red, green, blue, alpha). */
enum evgui_pic_word {
	EVGUI_PIC_DRAWABLE, EVGUI_PIC_FORMAT, EVGUI_PIC_DEPTH,
	EVGUI_PIC_REPEAT, EVGUI_PIC_COMPONENT_ALPHA, EVGUI_PIC_SUBWINDOW_MODE,
	EVGUI_PIC_EXPOSURES, EVGUI_PIC_POLY_EDGE, EVGUI_PIC_POLY_MODE,
	EVGUI_PIC_ALPHA_MAP, EVGUI_PIC_ALPHA_X, EVGUI_PIC_ALPHA_Y,
	EVGUI_PIC_CLIP_X, EVGUI_PIC_CLIP_Y, EVGUI_PIC_CLIP_KIND,
	EVGUI_PIC_HAS_TRANSFORM,
	EVGUI_PIC_TRANSFORM,                  /* 9 words, row by row, 16.16 */
	EVGUI_PIC_SOURCE = EVGUI_PIC_TRANSFORM + 9,
	EVGUI_PIC_SOURCE_ARGS,                /* 6 words, by source kind */
	EVGUI_PIC_WIDTH = EVGUI_PIC_SOURCE_ARGS + 6,   /* of the drawable */
	EVGUI_PIC_HEIGHT,
	EVGUI_PIC_NVALUES
};

/* Source picture kinds.  Arguments: solid: a, r, g, b (16-bit); linear:
 * p1.x, p1.y, p2.x, p2.y; radial: inner x, y, r, outer x, y, r; conical:
 * center x, y, angle (all 16.16 fixed). */
#define EVGUI_SRC_NONE     0
#define EVGUI_SRC_SOLID    1
#define EVGUI_SRC_LINEAR   2
#define EVGUI_SRC_RADIAL   3
#define EVGUI_SRC_CONICAL  4

#define EVGUI_FILTER_NAME_MAX  64
#define EVGUI_FILTER_PARAMS_MAX 4096
#define EVGUI_STOPS_MAX        4096
#define EVGUI_RECTS_MAX        65536

/* ListGlyphs: header words format, depth, total glyphs, glyphs here, next
 * index (0 when done); body per glyph: id, width, height, x, y, xOff, yOff
 * (x, y, xOff, yOff signed), image length in bytes, then the image padded
 * to 4.  Images are bytes, never swapped: depth 1 as rows of
 * (width + 7) / 8 bytes, pixel x in bit x % 8 (least significant first) of
 * byte x / 8; depth 8 as rows of width bytes; depth 32 as rows of width
 * pixels of 4 bytes A, R, G, B; every row padded to 4 bytes.  A reply
 * stops before EVGUI_GLYPH_REPLY_MAX bytes (one glyph at least). */
#define EVGUI_GLYPH_WORDS      8
#define EVGUI_GLYPH_REPLY_MAX  (256 * 1024)
#define EVGUI_GLYPH_MAX_SIDE   4096

#endif
