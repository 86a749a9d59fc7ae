/* Plain C (libc only, no Node-API): sending one entry to journald's native socket. */
#ifndef SDNODE_JOURNAL_SEND_H
#define SDNODE_JOURNAL_SEND_H

#include <stddef.h>

/* Sends one journal entry (already in the native protocol's form) to the AF_UNIX SOCK_DGRAM
 * socket at `path`, never blocking: a full receiver queue is -EAGAIN for the caller to retry. An
 * entry too large for a datagram (EMSGSIZE, ENOBUFS) goes as a sealed memfd, passed alone with
 * an empty datagram, as journald accepts. Returns 0 or a negative errno. */
int journal_send(const char *path, size_t path_len, const void *entry, size_t entry_len);

#endif
