/*
 * svc: a primitive service instance in flacd, behind one ops struct.
 *
 * flacd starts one instance per primitive instance of a session's
 * specification (local(), rpc(host=...), ...).  Combinators (the transfer
 * in xfer.c) only ever call the ops, so a remote service is a new ops
 * table and nothing else: svc_ops_for() picks the table by type.  local(),
 * rpc() (svc-rpc.c, a client of flac-rpcd), sftp() (svc-sftp.c, over
 * libssh) and smb() (svc-smb.c, over libsmbclient) are served; a type
 * number flacd does not know gets a table whose every operation answers
 * -EREMOTE (and whose start logs, with the place in the specification,
 * that it is not built).
 *
 * Paths are the service's own (for local(), real absolute paths).  Every
 * operation returns 0 (or a count, or a handle >= 0) or -errno.
 */
#ifndef FLAC_DAEMON_SVC_H
#define FLAC_DAEMON_SVC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct svc;

/* Called once per directory entry; nonzero stops the listing. */
typedef int (*svc_dirent_fn)(void *arg, const char *name);

struct svc_ops {
	const char *name;		/* "local", "rpc", ... */
	int	(*start)(struct svc *s);
	void	(*stop)(struct svc *s);
	/*
	 * Whether the service can be reached now for the tree at root: 1
	 * yes, 0 not now (a transfer with BLOCK waits for 1), -errno never
	 * (-EREMOTE: a type that is not built).
	 */
	int	(*isavailable)(struct svc *s, const char *root);
	int	(*stat)(struct svc *s, const char *path, struct stat *st);
	int	(*open)(struct svc *s, const char *path, int flags,
		    mode_t mode);
	ssize_t	(*pread)(struct svc *s, int h, void *buf, size_t n,
		    uint64_t off);
	ssize_t	(*pwrite)(struct svc *s, int h, const void *buf, size_t n,
		    uint64_t off);
	int	(*fsync)(struct svc *s, int h);
	int	(*close)(struct svc *s, int h);
	int	(*readdir)(struct svc *s, const char *path, svc_dirent_fn fn,
		    void *arg);
	int	(*mkdir)(struct svc *s, const char *path, mode_t mode);
	int	(*unlink)(struct svc *s, const char *path);
	int	(*rmdir)(struct svc *s, const char *path);
	int	(*rename)(struct svc *s, const char *from, const char *to);
	/* mode (unless (mode_t)-1) and times (unless NULL) */
	int	(*setattr)(struct svc *s, const char *path, mode_t mode,
		    const struct timespec times[2]);
};

struct svc {
	const struct svc_ops *ops;
	uint32_t	 id;		/* instance number in the spec */
	int		 type;		/* enum flac_svc_type */
	char		*text;		/* canonical: rpc(host="a") */
	char		*where;		/* "spec.flac:3:7", for messages */
	void		*priv;
};

/* The value of attribute name in a service's canonical text
 * (rpc(host="a", port=7410)): 1 with it in out, 0 when it is not there. */
int	svc_attr(const char *text, const char *name, char *out, size_t sz);
/* Monotonic milliseconds (reconnection pacing). */
uint64_t svc_now_ms(void);

/* The ops of a service type (never NULL: an unknown type answers
 * EREMOTE). */
const struct svc_ops *svc_ops_for(int type);
/* Fills s and starts it; 0 or -errno (s is then still safe to stop). */
int	svc_start(struct svc *s, uint32_t id, int type, const char *text,
	    const char *where);
void	svc_stop(struct svc *s);

extern const struct svc_ops svc_local_ops;
extern const struct svc_ops svc_absent_ops;
extern const struct svc_ops svc_rpc_ops;
extern const struct svc_ops svc_sftp_ops;
extern const struct svc_ops svc_smb_ops;

#endif
