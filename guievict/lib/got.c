/*
 * got: redirect one shared object's calls of a few libc functions to our
 * hooks by rewriting its global offset table, in-process (no LD_PRELOAD:
 * the library arrives by dlopen long after the program bound its symbols).
 *
 * The object's dynamic section (already relocated by ld.so) gives the
 * symbol and string tables and the two relocation tables that fill GOT
 * slots with function addresses: DT_JMPREL (R_X86_64_JUMP_SLOT, calls
 * through the PLT) and DT_RELA (R_X86_64_GLOB_DAT, function pointers and
 * -fno-plt calls).  A slot in a read-only page (RELRO after relocation) is
 * made writable for the write and protected again.  Whether the slot was
 * resolved yet (lazy binding) does not matter: once it holds our address,
 * the lazy resolver is never reached through it again.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "guievict/lib/gv.h"

struct got_ctx {
	const char		*soname;
	const struct got_hook	*h;
	size_t			 n;
	int			 found;
	int			 patched;
	int			 err;
};

/*
 * The protection of the page holding addr, from /proc/self/maps (read with
 * open/read: the program's threads are stopped somewhere, and stdio's
 * list lock is not ours to take).
 */
static int
got_prot(uintptr_t addr)
{
	static char buf[1 << 16];
	char *line, *nl, perm[8];
	unsigned long lo, hi;
	size_t len = 0, keep;
	ssize_t n;
	int fd, prot = -1;

	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 &&
			    addr >= lo && addr < hi) {
				prot = (perm[0] == 'r' ? PROT_READ : 0) |
				    (perm[1] == 'w' ? PROT_WRITE : 0) |
				    (perm[2] == 'x' ? PROT_EXEC : 0);
				close(fd);
				return prot;
			}
			line = nl + 1;
		}
		keep = len - (size_t)(line - buf);
		memmove(buf, line, keep);
		len = keep;
		if (len == sizeof buf - 1)
			len = 0;	/* an absurd line: drop it */
	}
	close(fd);
	return prot;
}

static int
got_write(void **slot, void *val)
{
	uintptr_t page = (uintptr_t)slot & ~(uintptr_t)(getpagesize() - 1);
	int prot = got_prot((uintptr_t)slot);

	if (prot < 0)
		return -EFAULT;
	if (!(prot & PROT_WRITE) && mprotect((void *)page, (size_t)getpagesize(),
	    prot | PROT_WRITE) != 0)
		return -errno;
	__atomic_store_n(slot, val, __ATOMIC_SEQ_CST);
	if (!(prot & PROT_WRITE))
		mprotect((void *)page, (size_t)getpagesize(), prot);
	return 0;
}

static uintptr_t
got_abs(uintptr_t base, uintptr_t v)
{
	return v < base ? base + v : v;	/* relocated in place, or not */
}

static void
got_relocs(struct got_ctx *cx, uintptr_t base, const Elf64_Rela *rel,
    size_t nrel, const Elf64_Sym *sym, const char *str, size_t strsz)
{
	size_t i, k;
	uint32_t type, si;
	const char *name;
	int r;

	for (i = 0; i < nrel; i++) {
		type = (uint32_t)ELF64_R_TYPE(rel[i].r_info);
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
		si = (uint32_t)ELF64_R_SYM(rel[i].r_info);
		if (si == 0 || sym[si].st_name >= strsz)
			continue;
		name = str + sym[si].st_name;
		for (k = 0; k < cx->n; k++) {
			if (strcmp(name, cx->h[k].name) != 0)
				continue;
			r = got_write((void **)(base + rel[i].r_offset),
			    cx->h[k].hook);
			if (r == 0)
				cx->patched++;
			else
				cx->err = r;
			break;
		}
	}
}

static int
got_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct got_ctx *cx = arg;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *sym = NULL;
	const Elf64_Rela *jmprel = NULL, *rela = NULL;
	const char *str = NULL, *slash;
	size_t pltrelsz = 0, relasz = 0, strsz = 0;
	uintptr_t base = info->dlpi_addr;
	int i;

	(void)size;
	if (info->dlpi_name == NULL)
		return 0;
	slash = strrchr(info->dlpi_name, '/');
	if (strcmp(slash != NULL ? slash + 1 : info->dlpi_name,
	    cx->soname) != 0)
		return 0;
	cx->found = 1;
	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base +
			    info->dlpi_phdr[i].p_vaddr);
	if (dyn == NULL)
		return 1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			sym = (const Elf64_Sym *)got_abs(base, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			str = (const char *)got_abs(base, dyn->d_un.d_ptr);
			break;
		case DT_STRSZ:
			strsz = dyn->d_un.d_val;
			break;
		case DT_JMPREL:
			jmprel = (const Elf64_Rela *)got_abs(base,
			    dyn->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			pltrelsz = dyn->d_un.d_val;
			break;
		case DT_RELA:
			rela = (const Elf64_Rela *)got_abs(base, dyn->d_un.d_ptr);
			break;
		case DT_RELASZ:
			relasz = dyn->d_un.d_val;
			break;
		default:
			break;
		}
	}
	if (sym == NULL || str == NULL)
		return 1;
	if (jmprel != NULL)
		got_relocs(cx, base, jmprel, pltrelsz / sizeof *jmprel, sym,
		    str, strsz);
	if (rela != NULL)
		got_relocs(cx, base, rela, relasz / sizeof *rela, sym, str,
		    strsz);
	return 1;
}

int
got_patch(const char *soname, const struct got_hook *h, size_t n)
{
	struct got_ctx cx;

	memset(&cx, 0, sizeof cx);
	cx.soname = soname;
	cx.h = h;
	cx.n = n;
	dl_iterate_phdr(got_object, &cx);
	if (!cx.found)
		return -ENOENT;
	if (cx.patched == 0)
		return cx.err != 0 ? cx.err : -EPROTO;
	log_debug("%s: %d GOT entries now point at our hooks", soname,
	    cx.patched);
	return cx.patched;
}
