/*
 * xfer: the transfer combinator between any two service instances
 * (section 5.1.5 of the dissertation), on svc ops only.
 *
 * pull, when a file is opened: the secondary's copy is brought to the
 * primary when the primary has none or the secondary's is newer by
 * modification time (copies keep the time, so an unchanged copy is not
 * brought again).  push, when a file opened for writing is closed: the
 * primary's copy goes to the secondary when the secondary has none or the
 * primary's is newer.  Directories a copy needs are made on the
 * destination.  A copy is written under a ".wh." name beside its
 * destination and renamed into place.
 *
 * When the secondary is not available (its ops say "not now" for the
 * tree's root) the modifier decides: FAIL fails the operation
 * (-ENOTCONN), IGNORE goes on with the primary (0), BLOCK waits until it
 * is available, for as long as that takes, unless w->cancelled says the
 * one who asked is gone (-EINTR).  A service that can never answer
 * (-EREMOTE) fails FAIL and BLOCK at once.  NONE is treated as FAIL.
 *
 * Returns 1 when a copy was made, 0 when none was needed (or IGNORE
 * skipped it), or -errno.
 */
#ifndef FLAC_DAEMON_XFER_H
#define FLAC_DAEMON_XFER_H

#include <stddef.h>

struct svc;

struct xfer_wait {
	/* Sleeps up to ms, then 1 when the wait must end (-EINTR). */
	int	(*cancelled)(void *arg, int ms);
	void	*arg;
	int	 interval_ms;	/* between two isavailable calls */
};

/*
 * Set by flacd: where a push that IGNORE lets go is kept for later (the
 * journal).  NULL: it is only logged.
 */
extern int (*xfer_defer_fn)(const struct svc *pri, const char *ppath,
    const struct svc *sec, const char *spath, const char *vpath);

int	xfer_pull(struct svc *pri, const char *ppath, struct svc *sec,
	    const char *spath, const char *vpath, int mod,
	    const struct xfer_wait *w);
int	xfer_push(struct svc *pri, const char *ppath, struct svc *sec,
	    const char *spath, const char *vpath, int mod,
	    const struct xfer_wait *w);
/*
 * The root of the secondary's tree for a file: spath without the trailing
 * components it shares with the name space path vpath ("/" at least).
 * 0 or -ENAMETOOLONG.
 */
int	xfer_root(const char *spath, const char *vpath, char *out, size_t sz);

#endif
