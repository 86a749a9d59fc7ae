#define _GNU_SOURCE
#include "sd_send.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* MSG_DONTWAIT: a receiver that stops reading must never stall the caller's event loop. The
 * benchmark builds the blocking behaviour of old (and of libsystemd's sd_notify) for comparison
 * with -DSD_SEND_FLAGS=MSG_NOSIGNAL. */
#ifndef SD_SEND_FLAGS
#define SD_SEND_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT)
#endif

int sd_send(const char *path, size_t path_len, const void *message, size_t message_len,
            const int *fds, size_t nfds) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  /* The caller checks the address and the fd count; these two bound the copies below. */
  if (path_len == 0 || path_len > sizeof(sa.sun_path)) return -ENAMETOOLONG;
  if (nfds > (INT_MAX - CMSG_SPACE(0)) / sizeof(int)) return -E2BIG;

  memcpy(sa.sun_path, path, path_len);
  /* Abstract names start with a NUL and are exactly as long as given: the
   * address length must not count a trailing NUL. */
  if (path[0] == '@') sa.sun_path[0] = '\0';

  struct iovec iov = {.iov_base = (void *)message, .iov_len = message_len};
  struct msghdr mh = {
      .msg_name = &sa,
      .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len),
      .msg_iov = &iov,
      .msg_iovlen = 1,
  };
  void *control = NULL;
  if (nfds > 0) {
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    control = calloc(1, mh.msg_controllen);
    if (control == NULL) return -ENOMEM;
    mh.msg_control = control;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
  }

  /* Credentials need no SCM_CREDENTIALS here: the kernel attaches our own to
   * a receiver that set SO_PASSCRED, which is what the manager checks. */
  int result = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    result = -errno;
    goto done;
  }
  /* A caller's fd that was already closed can come back as this very socket:
   * refuse rather than pass our own socket along. */
  for (size_t i = 0; i < nfds; i++) {
    if (fds[i] == fd) {
      result = -EBADF;
      goto done;
    }
  }
  ssize_t sent;
  do {
    sent = sendmsg(fd, &mh, SD_SEND_FLAGS);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) result = -errno;

done:
  if (fd >= 0) close(fd);
  free(control);
  return result;
}
