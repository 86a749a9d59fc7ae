/* Plain C (libc only, no Node-API): the socket work behind notify, shared by the
 * addon and by the cross-compiled test harness. */
#ifndef SDNODE_SD_SEND_H
#define SDNODE_SD_SEND_H

#include <stddef.h>

/* Most fds one datagram may carry (the kernel's SCM_MAX_FD). */
#define SD_SEND_MAX_FDS 253

/* Sends one datagram to the AF_UNIX SOCK_DGRAM socket `path` ('/path' or
 * '@abstract'), passing `fds` with SCM_RIGHTS when nfds > 0. Returns 0 or a
 * negative errno. Uses a fresh socket that is always closed again. */
int sd_send(const char *path, size_t path_len, const void *message, size_t message_len,
            const int *fds, size_t nfds);

#endif
