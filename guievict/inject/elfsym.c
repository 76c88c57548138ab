/* elfsym: see elfsym.h. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guievict/inject/elfsym.h"

#define ELFSYM_MAX_TABLE	(64u << 20)	/* bytes, any one table */
#define ELFSYM_MAX_PHNUM	4096
#define ELFSYM_VERSYM_HIDDEN	0x8000

int
elfsym_check_x86_64(const void *buf, size_t len, const char **what)
{
	const unsigned char *id = buf;
	const Elf64_Ehdr *eh = buf;
	const char *w = NULL;

	if (len < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
		w = "not an ELF file";
	else if (id[EI_CLASS] == ELFCLASS32) {
		uint16_t m;

		if (len < sizeof(Elf32_Ehdr))
			w = "a truncated ELF file";
		else {
			memcpy(&m, id + offsetof(Elf32_Ehdr, e_machine),
			    sizeof m);
			w = m == EM_X86_64 ? "an x32 program" :
			    m == EM_386 ? "a 32-bit (i386) program" :
			    "a 32-bit program for another machine";
		}
	} else if (id[EI_CLASS] != ELFCLASS64)
		w = "an ELF file of unknown class";
	else if (len < sizeof(Elf64_Ehdr))
		w = "a truncated ELF file";
	else if (id[EI_DATA] != ELFDATA2LSB)
		w = "a big-endian program";
	else if (eh->e_machine != EM_X86_64)
		w = "a 64-bit program for another machine";
	if (what != NULL)
		*what = w != NULL ? w : "an x86_64 program";
	return w != NULL ? -ENOEXEC : 0;
}

static int
elfsym_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done,
		    (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENOEXEC;	/* shorter than it says */
		done += (size_t)n;
	}
	return 0;
}

/* Reads [off, off + len) of a file of fsize bytes into a new buffer. */
static void *
elfsym_read_table(int fd, uint64_t fsize, uint64_t off, uint64_t len,
    int *err)
{
	void *p;

	if (len == 0 || len > ELFSYM_MAX_TABLE || off > fsize ||
	    len > fsize - off) {
		*err = -ENOEXEC;
		return NULL;
	}
	if ((p = malloc((size_t)len)) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((*err = elfsym_pread(fd, p, (size_t)len, off)) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static int
elfsym_load_vaddr(int fd, const Elf64_Ehdr *eh, uint64_t fsize,
    uint64_t *load_vaddr)
{
	Elf64_Phdr *ph;
	uint64_t lo = UINT64_MAX, a;
	size_t i;
	int r;

	if (eh->e_phnum == 0 || eh->e_phnum > ELFSYM_MAX_PHNUM ||
	    eh->e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;
	ph = elfsym_read_table(fd, fsize, eh->e_phoff,
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), &r);
	if (ph == NULL)
		return r;
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		a = ph[i].p_align;
		if (a == 0 || (a & (a - 1)) != 0)
			a = 1;
		if ((ph[i].p_vaddr & ~(a - 1)) < lo)
			lo = ph[i].p_vaddr & ~(a - 1);
	}
	free(ph);
	if (lo == UINT64_MAX)
		return -ENOEXEC;
	*load_vaddr = lo;
	return 0;
}

static void
elfsym_match(const Elf64_Sym *sym, const char *name, int hidden,
    struct elfsym_query *q, size_t nq, int *qhidden)
{
	unsigned char type = ELF64_ST_TYPE(sym->st_info);
	unsigned char bind = ELF64_ST_BIND(sym->st_info);
	size_t i;

	if (sym->st_shndx == SHN_UNDEF)
		return;
	if (type != STT_FUNC && type != STT_OBJECT)
		return;
	if (bind != STB_GLOBAL && bind != STB_WEAK)
		return;
	for (i = 0; i < nq; i++) {
		if (strcmp(q[i].name, name) != 0)
			continue;
		if (q[i].found && (hidden || !qhidden[i]))
			continue;	/* keep the default version */
		q[i].value = sym->st_value;
		q[i].found = 1;
		qhidden[i] = hidden;
	}
}

int
elfsym_lookup(int fd, struct elfsym_query *q, size_t nq, uint64_t *load_vaddr)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	Elf64_Sym *syms = NULL;
	uint16_t *versym = NULL;
	char *str = NULL;
	int *qhidden = NULL;
	struct stat st;
	uint64_t fsize, nsyms, strsz;
	size_t i, dyn = 0, ver = 0;
	int r, hidden;

	for (i = 0; i < nq; i++) {
		q[i].found = 0;
		q[i].value = 0;
	}
	if (fstat(fd, &st) != 0)
		return -errno;
	fsize = (uint64_t)st.st_size;
	if ((r = elfsym_pread(fd, &eh, sizeof eh, 0)) != 0)
		return r;
	if (elfsym_check_x86_64(&eh, sizeof eh, NULL) != 0 ||
	    eh.e_ident[EI_VERSION] != EV_CURRENT)
		return -ENOEXEC;
	if ((r = elfsym_load_vaddr(fd, &eh, fsize, load_vaddr)) != 0)
		return r;
	if (eh.e_shnum == 0 || eh.e_shoff == 0)
		return -ENOENT;		/* no section headers */
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return -ENOEXEC;
	sh = elfsym_read_table(fd, fsize, eh.e_shoff,
	    (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), &r);
	if (sh == NULL)
		return r;
	for (i = 1; i < eh.e_shnum; i++)
		if (sh[i].sh_type == SHT_DYNSYM) {
			dyn = i;
			break;
		}
	r = -ENOENT;
	if (dyn == 0)
		goto out;
	r = -ENOEXEC;
	if (sh[dyn].sh_entsize != sizeof(Elf64_Sym) ||
	    sh[dyn].sh_link == 0 || sh[dyn].sh_link >= eh.e_shnum ||
	    sh[sh[dyn].sh_link].sh_type != SHT_STRTAB)
		goto out;
	for (i = 1; i < eh.e_shnum; i++)
		if (sh[i].sh_type == SHT_GNU_versym && sh[i].sh_link == dyn) {
			ver = i;
			break;
		}
	nsyms = sh[dyn].sh_size / sizeof(Elf64_Sym);
	strsz = sh[sh[dyn].sh_link].sh_size;
	syms = elfsym_read_table(fd, fsize, sh[dyn].sh_offset,
	    nsyms * sizeof(Elf64_Sym), &r);
	if (syms == NULL)
		goto out;
	str = elfsym_read_table(fd, fsize, sh[sh[dyn].sh_link].sh_offset,
	    strsz, &r);
	if (str == NULL)
		goto out;
	if (ver != 0) {
		if (sh[ver].sh_size < nsyms * sizeof(uint16_t)) {
			r = -ENOEXEC;
			goto out;
		}
		versym = elfsym_read_table(fd, fsize, sh[ver].sh_offset,
		    nsyms * sizeof(uint16_t), &r);
		if (versym == NULL)
			goto out;
	}
	if (nq > 0 && (qhidden = calloc(nq, sizeof *qhidden)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 1; i < nsyms; i++) {
		if (syms[i].st_name >= strsz ||
		    memchr(str + syms[i].st_name, '\0',
		    strsz - syms[i].st_name) == NULL)
			continue;
		hidden = versym != NULL &&
		    (versym[i] & ELFSYM_VERSYM_HIDDEN) != 0;
		elfsym_match(&syms[i], str + syms[i].st_name, hidden, q, nq,
		    qhidden);
	}
	r = 0;
out:
	free(qhidden);
	free(versym);
	free(str);
	free(syms);
	free(sh);
	return r;
}
