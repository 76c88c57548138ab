/*
 * lex: see lex.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flac/lang/lex.h"

void
flac_lex_init(struct flac_lexer *lx, const char *src, size_t len)
{
	lx->src = src;
	lx->cur = src;
	lx->end = src + len;
	lx->line = 1;
	lx->col = 1;
	/* a UTF-8 byte order mark is not part of the text */
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		lx->cur += 3;
}

int
flac_lex_is_word_char(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return 0;
	switch (c) {
	case '(': case ')': case ',': case ':': case '=': case '"': case '#':
		return 0;
	}
	return 1;
}

static int
lex_is_ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
lex_is_ident_char(unsigned char c)
{
	return lex_is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

int
flac_lex_is_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !lex_is_ident_start((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!lex_is_ident_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Moves over one byte, keeping line and column. */
static void
lex_advance(struct flac_lexer *lx)
{
	unsigned char c = (unsigned char)*lx->cur++;

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xc0) != 0x80)
		lx->col++;
}

/*
 * Length of a typographic quote (U+2018, U+2019, U+201C, U+201D) at p, or
 * 0.  Text copied from typeset documents carries them in place of '"'.
 */
static size_t
lex_smart_quote(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;

	if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0x98 || u[2] == 0x99 || u[2] == 0x9c || u[2] == 0x9d))
		return 3;
	return 0;
}

static enum flac_tok_type
lex_error(struct flac_tok *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum flac_tok_type
lex_error(struct flac_tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof t->err, fmt, ap);
	va_end(ap);
	t->type = FLAC_T_ERROR;
	return t->type;
}

enum flac_tok_type
flac_lex_next(struct flac_lexer *lx, struct flac_tok *t)
{
	const char *start;
	unsigned char c;
	size_t q;

	memset(t, 0, sizeof *t);
	/* Blanks, line breaks and comments. */
	while (lx->cur < lx->end) {
		c = (unsigned char)*lx->cur;
		if (c == '\n') {
			t->nl_before = 1;
			lex_advance(lx);
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v')
			lex_advance(lx);
		else if (c == '#') {
			while (lx->cur < lx->end && *lx->cur != '\n')
				lex_advance(lx);
		} else
			break;
	}
	t->line = lx->line;
	t->col = lx->col;
	t->p = lx->cur;
	if (lx->cur >= lx->end) {
		t->type = FLAC_T_EOF;
		return t->type;
	}
	c = (unsigned char)*lx->cur;
	switch (c) {
	case '(':
		t->type = FLAC_T_LPAREN;
		break;
	case ')':
		t->type = FLAC_T_RPAREN;
		break;
	case ',':
		t->type = FLAC_T_COMMA;
		break;
	case ':':
		t->type = FLAC_T_COLON;
		break;
	case '=':
		t->type = FLAC_T_EQUALS;
		break;
	default:
		t->type = FLAC_T_EOF;
		break;
	}
	if (t->type != FLAC_T_EOF) {
		t->len = 1;
		lex_advance(lx);
		return t->type;
	}
	if (c == '"') {
		lex_advance(lx);
		start = lx->cur;
		while (lx->cur < lx->end && *lx->cur != '"' &&
		    *lx->cur != '\n' && *lx->cur != '\0')
			lex_advance(lx);
		if (lx->cur >= lx->end || *lx->cur != '"')
			return lex_error(t, "unterminated string: a string "
			    "ends with '\"' on the same line");
		t->p = start;
		t->len = (size_t)(lx->cur - start);
		lex_advance(lx);
		t->type = FLAC_T_STRING;
		return t->type;
	}
	if ((q = lex_smart_quote(lx->cur, lx->end)) != 0)
		return lex_error(t, "typographic quote '%.*s' does not start "
		    "a string: use a plain '\"'", (int)q, lx->cur);
	if (c == '\0')
		return lex_error(t, "NUL byte in the specification");
	if (!flac_lex_is_word_char(c))
		return lex_error(t, "unexpected control character 0x%02x", c);
	start = lx->cur;
	while (lx->cur < lx->end &&
	    flac_lex_is_word_char((unsigned char)*lx->cur) &&
	    lex_smart_quote(lx->cur, lx->end) == 0)
		lex_advance(lx);
	t->p = start;
	t->len = (size_t)(lx->cur - start);
	if (*start == '/')
		t->type = FLAC_T_PATH;
	else if (flac_lex_is_ident(start, t->len))
		t->type = FLAC_T_IDENT;
	else
		t->type = FLAC_T_WORD;
	return t->type;
}

const char *
flac_tok_type_name(enum flac_tok_type type)
{
	switch (type) {
	case FLAC_T_EOF:	return "end of file";
	case FLAC_T_IDENT:	return "name";
	case FLAC_T_PATH:	return "path";
	case FLAC_T_WORD:	return "word";
	case FLAC_T_STRING:	return "string";
	case FLAC_T_LPAREN:	return "'('";
	case FLAC_T_RPAREN:	return "')'";
	case FLAC_T_COMMA:	return "','";
	case FLAC_T_COLON:	return "':'";
	case FLAC_T_EQUALS:	return "'='";
	case FLAC_T_ERROR:	return "bad token";
	}
	return "token";
}

void
flac_tok_describe(const struct flac_tok *t, char *buf, size_t sz)
{
	int n = t->len > 40 ? 40 : (int)t->len;
	const char *more = t->len > 40 ? "..." : "";

	switch (t->type) {
	case FLAC_T_IDENT:
	case FLAC_T_PATH:
	case FLAC_T_WORD:
		snprintf(buf, sz, "%s '%.*s%s'", flac_tok_type_name(t->type),
		    n, t->p, more);
		break;
	case FLAC_T_STRING:
		snprintf(buf, sz, "string \"%.*s%s\"", n, t->p, more);
		break;
	default:
		snprintf(buf, sz, "%s", flac_tok_type_name(t->type));
		break;
	}
}
