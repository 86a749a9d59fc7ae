/* Sockets that a manager holds: bound and listening, but nobody accepts their
 * connections until a service takes them. Node can listen only by accepting at
 * once (libuv accepts as soon as a connection is readable), and dgram starts
 * reading as soon as it binds; this does neither. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "sdnode.h"

int unix_address(const char *path, size_t path_len, struct sockaddr_un *sa, socklen_t *sa_len) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (path_len == 0 || (path[0] != '/' && path[0] != '@')) return -EINVAL;
  /* A NUL inside the name would silently address another socket. */
  if (memchr(path, '\0', path_len) != NULL) return -EINVAL;
  if (path_len > sizeof(sa->sun_path)) return -ENAMETOOLONG;
  memcpy(sa->sun_path, path, path_len);
  /* Abstract: a leading NUL, and a length that counts no trailing NUL. */
  if (path[0] == '@') sa->sun_path[0] = '\0';
  *sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);
  return 0;
}

/* listenSocket(domain, type, address, port, backlog): fd, close-on-exec and blocking (as
 * systemd passes them). domain AF_INET, AF_INET6 or AF_UNIX; type SOCK_STREAM, SOCK_DGRAM or
 * SOCK_SEQPACKET; address an IP literal, or for AF_UNIX '/path' or '@abstract' (port ignored).
 * Datagram sockets are bound only. Throws EADDRINUSE, EACCES, EADDRNOTAVAIL, EINVAL, … */
napi_value js_listen_socket(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  int32_t domain, type, port, backlog;
  char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
  size_t address_len;
  union {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    struct sockaddr_un un;
  } sa;
  socklen_t sa_len;
  int one = 1;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || napi_get_value_int32(env, argv[0], &domain) != napi_ok || napi_get_value_int32(env, argv[1], &type) != napi_ok ||
      napi_get_value_int32(env, argv[3], &port) != napi_ok || napi_get_value_int32(env, argv[4], &backlog) != napi_ok)
    return throw_type(env, "listenSocket(domain, type, address, port, backlog): numbers expected");
  if (napi_get_value_string_utf8(env, argv[2], NULL, 0, &address_len) != napi_ok || address_len >= sizeof(address))
    return throw_type(env, "listenSocket: address must be a string of at most 108 bytes");
  napi_get_value_string_utf8(env, argv[2], address, sizeof(address), &address_len);
  if (port < 0 || port > 65535) return throw_errno(env, "bind", EINVAL);
  if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET) return throw_errno(env, "socket", EINVAL);

  memset(&sa, 0, sizeof(sa));
  if (domain == AF_INET) {
    sa.in.sin_family = AF_INET;
    sa.in.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &sa.in.sin_addr) != 1) return throw_errno(env, "bind", EINVAL);
    sa_len = sizeof(sa.in);
  } else if (domain == AF_INET6) {
    sa.in6.sin6_family = AF_INET6;
    sa.in6.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &sa.in6.sin6_addr) != 1) return throw_errno(env, "bind", EINVAL);
    sa_len = sizeof(sa.in6);
  } else if (domain == AF_UNIX) {
    int r = unix_address(address, address_len, &sa.un, &sa_len);
    if (r < 0) return throw_errno(env, "bind", -r);
  } else {
    return throw_errno(env, "socket", EAFNOSUPPORT);
  }

  int fd = socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  /* As systemd's socket units do: a restart of the manager may bind again at once. */
  if (domain != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const char *failed = NULL;
  if (bind(fd, &sa.sa, sa_len) < 0) failed = "bind";
  else if (type != SOCK_DGRAM && listen(fd, backlog) < 0) failed = "listen";
  if (failed != NULL) {
    int err = errno;
    close(fd);
    return throw_errno(env, failed, err);
  }
  napi_create_int32(env, fd, &result);
  return result;
}
