/*
 * Fuzz target: what an enhanced server does with a client's bytes.  The
 * input arrives on a socket pair, behind the announcement, and the server
 * classifies and negotiates as it would on a real connection; it must end
 * in a verdict or a clean error, never a crash or a hang.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "edp/edp.h"

static const struct edp_enh enh[] = {
	{ .name = "rocks", .vmin = 1, .vmax = 4 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edp_config cfg;
	struct edp_result res;
	int sv[2], k, bufsz = 1 << 20;

	if (size > 65536)
		return 0;
	log_set_level(-1);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
	edp_config_default(&cfg);
	cfg.enh = enh;
	cfg.nenh = 1;
	cfg.negotiate_ms = 5;      /* a short input must not keep us long */
	if (write(sv[0], edp_announcement(), EDP_ANNOUNCE_LEN) !=
	    EDP_ANNOUNCE_LEN || (size > 0 && write(sv[0], data, size) !=
	    (ssize_t)size))
		goto out;
	shutdown(sv[0], SHUT_WR);
	k = edp_server_classify(NULL, sv[1]);
	if (k != EDP_S_ENHANCED)
		abort();
	(void)edp_server_negotiate(sv[1], &cfg, 0, &res);
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}
