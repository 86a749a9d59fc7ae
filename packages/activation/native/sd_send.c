#define _GNU_SOURCE
#include "sd_send.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sd_send(const char *path, size_t path_len, const void *message, size_t message_len,
            const int *fds, size_t nfds) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  socklen_t sa_len;

  if (path_len == 0 || (path[0] != '/' && path[0] != '@')) return -EINVAL;
  /* A NUL inside the name would silently address another socket. */
  if (memchr(path, '\0', path_len) != NULL) return -EINVAL;
  if (path_len > sizeof(sa.sun_path)) return -ENAMETOOLONG;
  if (nfds > SD_SEND_MAX_FDS) return -E2BIG;

  memcpy(sa.sun_path, path, path_len);
  /* Abstract names start with a NUL and are exactly as long as given: the
   * address length must not count a trailing NUL. */
  if (path[0] == '@') sa.sun_path[0] = '\0';
  sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);

  struct iovec iov = {.iov_base = (void *)message, .iov_len = message_len};
  struct msghdr mh = {.msg_name = &sa, .msg_namelen = sa_len, .msg_iov = &iov, .msg_iovlen = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * SD_SEND_MAX_FDS)];
  } control;

  if (nfds > 0) {
    memset(&control, 0, sizeof(control));
    mh.msg_control = control.buf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
  }

  /* Credentials need no SCM_CREDENTIALS here: the kernel attaches our own to
   * a receiver that set SO_PASSCRED, which is what the manager checks. */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  /* A caller's fd that was already closed can come back as this very socket:
   * refuse rather than pass our own socket along. */
  for (size_t i = 0; i < nfds; i++) {
    if (fds[i] == fd) {
      close(fd);
      return -EBADF;
    }
  }

  ssize_t sent;
  do {
    sent = sendmsg(fd, &mh, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  int result = sent < 0 ? -errno : 0;
  close(fd);
  return result;
}
