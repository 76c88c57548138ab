/*
 * elfsym: symbols from an ELF64 x86-64 shared object's dynamic symbol
 * table (.dynsym, .dynstr, .gnu.version), read from its file.  Pure over a
 * file descriptor; every offset and size in the file is checked.
 */
#ifndef EVICT_GV_ELFSYM_H
#define EVICT_GV_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct elfsym_query {
	const char	*name;
	uint64_t	 value;		/* st_value: the link-time address */
	int		 found;
};

/*
 * 0 when buf (len bytes from the start of a file) is an ELF64
 * little-endian x86-64 header; else -ENOEXEC and *what says what it is
 * ("a 32-bit (i386) program", "not an ELF file", ...).
 */
int	elfsym_check_x86_64(const void *buf, size_t len, const char **what);

/*
 * Resolves each q[i].name among fd's defined dynamic symbols (functions
 * and objects, not GNU indirect functions), preferring the default
 * version (name@@VER) to hidden ones.  *load_vaddr gets the lowest PT_LOAD
 * address rounded down to its alignment: a symbol lives at
 *   (start of the file's mapping at offset 0) - *load_vaddr + value.
 * 0 (even when some names were not found); -ENOEXEC for a file that is not
 * a sane ELF64 x86-64 object, -ENOENT when it has no dynamic symbol table,
 * or -errno from reading.
 */
int	elfsym_lookup(int fd, struct elfsym_query *q, size_t nq,
	    uint64_t *load_vaddr);

#endif
