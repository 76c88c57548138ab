/*
 * maps: /proc/PID/maps, parsed.  maps_parse_line() is pure (unit tested);
 * maps_find_lib() reads a live process.
 */
#ifndef EVICT_GV_MAPS_H
#define EVICT_GV_MAPS_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

struct maps_entry {
	uint64_t	start;
	uint64_t	end;
	uint64_t	offset;
	uint64_t	inode;
	unsigned int	dev_major;
	unsigned int	dev_minor;
	char		perms[5];	/* "r-xp" */
	int		deleted;	/* path ended in " (deleted)" */
	char		path[PATH_MAX];	/* "" for anonymous memory */
};

/* A library's place in a process. */
struct maps_lib {
	uint64_t	base;		/* its mapping at file offset 0 */
	uint64_t	first_start;	/* that mapping (for map_files) */
	uint64_t	first_end;
	uint64_t	inode;
	unsigned int	dev_major;
	unsigned int	dev_minor;
	int		deleted;
	int		nexec;		/* executable mappings of it */
	char		path[PATH_MAX];
};

/*
 * One line ("start-end perms offset major:minor inode   path"), with or
 * without its newline.  0, -EINVAL for a line that is not one, or
 * -ENAMETOOLONG.
 */
int	maps_parse_line(const char *line, struct maps_entry *e);

/*
 * True when path's last component is soname; for "libc.so.6" the old
 * "libc-2.NN.so" name counts too.
 */
int	maps_name_matches(const char *path, const char *soname);

/*
 * Finds soname among pid's mappings.  0; -ENOENT when it is not mapped;
 * -ESRCH when there is no such process; -errno when maps cannot be read.
 */
int	maps_find_lib(pid_t pid, const char *soname, struct maps_lib *lib);

#endif
