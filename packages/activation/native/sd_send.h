/* Plain C (libc only, no Node-API): the socket work behind notify, shared by the
 * addon and by the cross-compiled test harness (test/fixtures/sd_send_main.c). */
#ifndef SDNODE_SD_SEND_H
#define SDNODE_SD_SEND_H

#include <stddef.h>

/* Sends one datagram to the AF_UNIX SOCK_DGRAM socket `path` ('/path' or
 * '@abstract', checked by the caller), passing `fds` with SCM_RIGHTS when
 * nfds > 0. Never blocks: a receiver whose queue is full gives -EAGAIN.
 * Returns 0 or a negative errno. Uses a fresh socket that is always closed again. */
int sd_send(const char *path, size_t path_len, const void *message, size_t message_len,
            const int *fds, size_t nfds);

#endif
