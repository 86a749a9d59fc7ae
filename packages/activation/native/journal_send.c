#define _GNU_SOURCE
#include "journal_send.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* One socket for the life of the process (unconnected, so a restarted journald is found again):
 * a log call costs one sendmsg, not socket() + sendmsg() + close(). */
static int shared_socket = -1;

static int journal_socket(void) {
  int fd = __atomic_load_n(&shared_socket, __ATOMIC_ACQUIRE);
  if (fd >= 0) return fd;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  int expected = -1;
  /* Two threads may race here: the loser closes its socket and uses the winner's. */
  if (!__atomic_compare_exchange_n(&shared_socket, &expected, fd, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    close(fd);
    return expected;
  }
  return fd;
}

static ssize_t send_retrying(int fd, struct msghdr *mh) {
  ssize_t sent;
  do {
    sent = sendmsg(fd, mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

/* journald reads a sealed memfd in place; the seals promise it that the content cannot change. */
static int sealed_memfd(const void *entry, size_t entry_len) {
  int fd = memfd_create("journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -errno;
  const char *p = entry;
  size_t left = entry_len;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      return -err;
    }
    p += n;
    left -= (size_t)n;
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

int journal_send(const char *path, size_t path_len, const void *entry, size_t entry_len) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (path_len == 0 || path[0] != '/' || memchr(path, '\0', path_len) != NULL) return -EINVAL;
  if (path_len >= sizeof(sa.sun_path)) return -ENAMETOOLONG;
  memcpy(sa.sun_path, path, path_len);

  int fd = journal_socket();
  if (fd < 0) return fd;

  struct iovec iov = {.iov_base = (void *)entry, .iov_len = entry_len};
  struct msghdr mh = {.msg_name = &sa, .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len + 1),
                      .msg_iov = &iov, .msg_iovlen = 1};
  if (send_retrying(fd, &mh) >= 0) return 0;
  if (errno != EMSGSIZE && errno != ENOBUFS) return -errno;

  int memfd = sealed_memfd(entry, entry_len);
  if (memfd < 0) return memfd;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof(control));
  mh.msg_iov = NULL;
  mh.msg_iovlen = 0;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof(control.buf);
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &memfd, sizeof(int));
  int result = send_retrying(fd, &mh) >= 0 ? 0 : -errno;
  /* journald holds its own copy once the datagram is queued. */
  close(memfd);
  return result;
}
