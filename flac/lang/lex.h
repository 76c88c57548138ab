/*
 * lex: the flac tokenizer.  Pure: it reads a caller's buffer (not
 * NUL-terminated) and hands out tokens that point into it.
 *
 * Tokens:
 *   IDENT   [A-Za-z_][A-Za-z0-9_-]*       L, HOME-FROM-HOME, overlay, else
 *   PATH    a bare word starting with '/'  /cache, /home/user/bin
 *   WORD    any other bare word            192.168.0.0/16, *.cs.wisc.edu
 *   STRING  "..." on one line, taken raw (no escapes: "\\desktop\root" keeps
 *           its backslashes); the token's text is what is between the quotes
 *   ( ) , : =
 * A bare word is a run of bytes other than blanks, control characters and
 * ( ) , : = " #.  '#' starts a comment that ends with the line.
 *
 * Lines and columns count from 1; a column counts characters (UTF-8 code
 * points), so a tab is one column.
 */
#ifndef FLAC_LEX_H
#define FLAC_LEX_H

#include <stddef.h>

enum flac_tok_type {
	FLAC_T_EOF = 0,
	FLAC_T_IDENT,
	FLAC_T_PATH,
	FLAC_T_WORD,
	FLAC_T_STRING,
	FLAC_T_LPAREN,
	FLAC_T_RPAREN,
	FLAC_T_COMMA,
	FLAC_T_COLON,
	FLAC_T_EQUALS,
	FLAC_T_ERROR,
};

struct flac_tok {
	enum flac_tok_type type;
	const char	*p;		/* text (STRING: inside the quotes) */
	size_t		 len;
	int		 line;
	int		 col;
	int		 nl_before; /* a line break came before this token */
	char		 err[96];	/* FLAC_T_ERROR: what is wrong */
};

struct flac_lexer {
	const char	*src;
	const char	*cur;
	const char	*end;
	int		 line;
	int		 col;
};

void	flac_lex_init(struct flac_lexer *lx, const char *src, size_t len);
/* Fills t with the next token and returns its type. */
enum flac_tok_type flac_lex_next(struct flac_lexer *lx, struct flac_tok *t);
/* Describes a token for a message: "')'", "name 'L'", "end of file", ... */
void	flac_tok_describe(const struct flac_tok *t, char *buf, size_t sz);
const char *flac_tok_type_name(enum flac_tok_type type);
/* 1 when c may appear in a bare word. */
int	flac_lex_is_word_char(unsigned char c);
/* 1 when s[0..n) is an IDENT. */
int	flac_lex_is_ident(const char *s, size_t n);

#endif
