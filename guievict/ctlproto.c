/* ctlproto: see ctlproto.h and docs/protocol/guievict-ctl.md. */
#include <errno.h>
#include <string.h>

#include "guievict/ctlproto.h"

#define TRY(e) do { int r_ = (e); if (r_ < 0) return r_; } while (0)

const char *
gvc_state_name(int state)
{
	switch (state) {
	case GVC_ST_ATTACHED:	return "attached";
	case GVC_ST_DETACHED:	return "detached";
	case GVC_ST_MOVING:	return "moving";
	case GVC_ST_GONE:	return "gone";
	default:		return "unknown";
	}
}

int
gvc_put_hello(struct wbuf *b, const struct gvc_hello *h, int ok)
{
	TRY(wbuf_put_u32(b, h->magic));
	TRY(wbuf_put_u16(b, h->version));
	TRY(wbuf_put_u16(b, h->flags));
	if (ok) {
		TRY(wbuf_put_u32(b, h->pid));
		TRY(wbuf_put_u8(b, h->state));
	}
	return 0;
}

int
gvc_get_hello(struct wbuf *b, struct gvc_hello *h, int ok)
{
	memset(h, 0, sizeof *h);
	TRY(wbuf_get_u32(b, &h->magic));
	TRY(wbuf_get_u16(b, &h->version));
	TRY(wbuf_get_u16(b, &h->flags));
	if (ok) {
		TRY(wbuf_get_u32(b, &h->pid));
		TRY(wbuf_get_u8(b, &h->state));
	}
	if (h->magic != GVC_MAGIC)
		return -EBADMSG;
	return 0;
}

int
gvc_put_status(struct wbuf *b, const struct gvc_status *s)
{
	TRY(wbuf_put_u8(b, s->state));
	TRY(wbuf_put_u32(b, (uint32_t)s->xfd));
	TRY(wbuf_put_u32(b, s->moves));
	TRY(wbuf_put_str(b, s->display));
	TRY(wbuf_put_str(b, s->origin));
	TRY(wbuf_put_u64(b, s->detach_us));
	TRY(wbuf_put_u64(b, s->attach_us));
	TRY(wbuf_put_u64(b, s->requests));
	TRY(wbuf_put_u64(b, s->messages));
	TRY(wbuf_put_u64(b, s->held));
	TRY(wbuf_put_str(b, s->note));
	return 0;
}

int
gvc_get_status(struct wbuf *b, struct gvc_status *s)
{
	uint32_t v;

	memset(s, 0, sizeof *s);
	TRY(wbuf_get_u8(b, &s->state));
	TRY(wbuf_get_u32(b, &v));
	s->xfd = (int32_t)v;
	TRY(wbuf_get_u32(b, &s->moves));
	TRY(wbuf_get_str(b, s->display, sizeof s->display));
	TRY(wbuf_get_str(b, s->origin, sizeof s->origin));
	TRY(wbuf_get_u64(b, &s->detach_us));
	TRY(wbuf_get_u64(b, &s->attach_us));
	TRY(wbuf_get_u64(b, &s->requests));
	TRY(wbuf_get_u64(b, &s->messages));
	TRY(wbuf_get_u64(b, &s->held));
	TRY(wbuf_get_str(b, s->note, sizeof s->note));
	return 0;
}

int
gvc_put_cmd(struct wbuf *b, const struct gvc_cmd *c)
{
	if (c->auth_name_len > GVC_AUTH_MAX || c->auth_data_len > GVC_AUTH_MAX)
		return -EMSGSIZE;
	TRY(wbuf_put_u32(b, c->flags));
	TRY(wbuf_put_str(b, c->display));
	TRY(wbuf_put_blob(b, c->auth_name, c->auth_name_len));
	TRY(wbuf_put_blob(b, c->auth_data, c->auth_data_len));
	return 0;
}

int
gvc_get_cmd(struct wbuf *b, struct gvc_cmd *c)
{
	const uint8_t *p;
	size_t n;

	memset(c, 0, sizeof *c);
	TRY(wbuf_get_u32(b, &c->flags));
	TRY(wbuf_get_str(b, c->display, sizeof c->display));
	TRY(wbuf_get_blob(b, &p, &n, GVC_AUTH_MAX));
	memcpy(c->auth_name, p, n);
	c->auth_name_len = (uint16_t)n;
	TRY(wbuf_get_blob(b, &p, &n, GVC_AUTH_MAX));
	memcpy(c->auth_data, p, n);
	c->auth_data_len = (uint16_t)n;
	return 0;
}

int
gvc_put_result(struct wbuf *b, const struct gvc_result *r)
{
	uint32_t i, n = r->nlosses < GVC_MAX_LOSSES ? r->nlosses :
	    GVC_MAX_LOSSES;

	TRY(wbuf_put_u32(b, (uint32_t)r->err));
	TRY(wbuf_put_u8(b, r->state));
	TRY(wbuf_put_u64(b, r->detach_us));
	TRY(wbuf_put_u64(b, r->attach_us));
	TRY(wbuf_put_str(b, r->cause));
	TRY(wbuf_put_u32(b, n));
	for (i = 0; i < n; i++)
		TRY(wbuf_put_str(b, r->losses[i]));
	return 0;
}

int
gvc_get_result(struct wbuf *b, struct gvc_result *r)
{
	uint32_t v, i;

	memset(r, 0, sizeof *r);
	TRY(wbuf_get_u32(b, &v));
	r->err = (int32_t)v;
	if (r->err > 0 || r->err < -4095)
		return -EBADMSG;
	TRY(wbuf_get_u8(b, &r->state));
	TRY(wbuf_get_u64(b, &r->detach_us));
	TRY(wbuf_get_u64(b, &r->attach_us));
	TRY(wbuf_get_str(b, r->cause, sizeof r->cause));
	TRY(wbuf_get_u32(b, &r->nlosses));
	if (r->nlosses > GVC_MAX_LOSSES)
		return -EBADMSG;
	for (i = 0; i < r->nlosses; i++)
		TRY(wbuf_get_str(b, r->losses[i], sizeof r->losses[i]));
	return 0;
}

int
gvc_put_error(struct wbuf *b, int32_t err, const char *msg)
{
	TRY(wbuf_put_u32(b, (uint32_t)err));
	TRY(wbuf_put_str(b, msg));
	return 0;
}

int
gvc_get_error(struct wbuf *b, int32_t *err, char *msg, size_t msgsz)
{
	uint32_t v;

	TRY(wbuf_get_u32(b, &v));
	*err = (int32_t)v;
	TRY(wbuf_get_str(b, msg, msgsz));
	return 0;
}
