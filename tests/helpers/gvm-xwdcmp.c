/*
 * gvm-xwdcmp: compares two window dumps written by xwd(1), pixel by pixel,
 * for the guievict tests (a screenshot before a move against one after).
 *
 *   gvm-xwdcmp [-t PERMILLE] A.xwd B.xwd
 *
 * Prints "size WxH, N of M pixels differ (bbox x0,y0-x1,y1)".  Exit 0
 * when both have the same size and at most PERMILLE per mille of the
 * pixels differ (default 0: identical), 1 when they differ more, 2 on a
 * file that is not a ZPixmap dump of 8, 16, 24 or 32 bits per pixel.
 * Only the pixel values are compared (the header also holds the window's
 * position, which a move may change).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct xwd {
	uint32_t w, h, bpp, bpl, order;
	uint8_t *px;		/* h * bpl bytes */
	uint8_t *file;
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
xwd_load(const char *fn, struct xwd *x)
{
	FILE *f = fopen(fn, "rb");
	size_t len = 0, cap = 1 << 20, n;
	uint32_t hs, fmt, ncolors;

	memset(x, 0, sizeof *x);
	if (f == NULL)
		return -errno;
	x->file = malloc(cap);
	while (x->file != NULL && (n = fread(x->file + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *nf = realloc(x->file, cap * 2);

			if (nf == NULL)
				break;
			x->file = nf;
			cap *= 2;
		}
	}
	fclose(f);
	if (x->file == NULL || len < 100)
		return -EINVAL;
	hs = be32(x->file);
	fmt = be32(x->file + 8);
	x->w = be32(x->file + 16);
	x->h = be32(x->file + 20);
	x->order = be32(x->file + 28);
	x->bpp = be32(x->file + 44);
	x->bpl = be32(x->file + 48);
	ncolors = be32(x->file + 76);
	if (fmt != 2 || (x->bpp != 8 && x->bpp != 16 && x->bpp != 24 &&
	    x->bpp != 32) || hs < 100 || ncolors > (1u << 16) ||
	    x->bpl < x->w * (x->bpp / 8) ||
	    (uint64_t)hs + (uint64_t)ncolors * 12 +
	    (uint64_t)x->bpl * x->h > len)
		return -EINVAL;
	x->px = x->file + hs + (size_t)ncolors * 12;
	return 0;
}

static uint32_t
xwd_pixel(const struct xwd *x, uint32_t col, uint32_t row)
{
	const uint8_t *p = x->px + (size_t)row * x->bpl + col * (x->bpp / 8);
	uint32_t v = 0, i, n = x->bpp / 8;

	for (i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (x->order ? 8 * (n - 1 - i) : 8 * i);
	if (x->bpp == 32)
		v &= 0xffffff;	/* the pad byte is not a colour */
	return v;
}

int
main(int argc, char **argv)
{
	struct xwd a, b;
	uint64_t diff = 0, total;
	uint32_t x, y, x0 = UINT32_MAX, y0 = UINT32_MAX, x1 = 0, y1 = 0;
	long tol = 0;
	int c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || (tol = atol(optarg)) < 0 || tol > 1000) {
			fprintf(stderr, "usage: gvm-xwdcmp [-t PERMILLE] A B\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: gvm-xwdcmp [-t PERMILLE] A B\n");
		return 2;
	}
	if (xwd_load(argv[optind], &a) != 0 ||
	    xwd_load(argv[optind + 1], &b) != 0) {
		fprintf(stderr, "gvm-xwdcmp: not a ZPixmap xwd file\n");
		return 2;
	}
	if (a.w != b.w || a.h != b.h || a.bpp != b.bpp) {
		printf("size %ux%u vs %ux%u\n", a.w, a.h, b.w, b.h);
		return 1;
	}
	for (y = 0; y < a.h; y++) {
		for (x = 0; x < a.w; x++) {
			if (xwd_pixel(&a, x, y) == xwd_pixel(&b, x, y))
				continue;
			diff++;
			x0 = x < x0 ? x : x0;
			y0 = y < y0 ? y : y0;
			x1 = x > x1 ? x : x1;
			y1 = y > y1 ? y : y1;
		}
	}
	total = (uint64_t)a.w * a.h;
	if (diff == 0)
		printf("size %ux%u, 0 of %llu pixels differ\n", a.w, a.h,
		    (unsigned long long)total);
	else
		printf("size %ux%u, %llu of %llu pixels differ (bbox %u,%u-%u,%u)\n",
		    a.w, a.h, (unsigned long long)diff,
		    (unsigned long long)total, x0, y0, x1, y1);
	free(a.file);
	free(b.file);
	return diff * 1000 <= (uint64_t)tol * total ? 0 : 1;
}
