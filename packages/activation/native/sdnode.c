/* Node-API addon: what Node core cannot do for systemd — send a datagram (with
 * fds) to an AF_UNIX SOCK_DGRAM socket without blocking, tell exactly what kind
 * of socket an fd is, make a pipe whose ends JS can hand out as numbers, and
 * duplicate an fd.
 * Node-API version 8, context-aware: one binary for Node 20, 22 and 24, usable
 * from worker threads. */
#define _GNU_SOURCE
#include "sdnode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal_send.h"
#include "sd_send.h"

/* An Error shaped like Node's own system errors, but for `code`: errno
 * (negative, as in Node) and syscall. native.ts names the errno in JS
 * (util.getSystemErrorName), so no table of names lives here. */
napi_value errno_error(napi_env env, const char *syscall, int err) {
  char text[160];
  napi_value message, error, number, name;
  snprintf(text, sizeof(text), "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_int32(env, -err, &number);
  napi_set_named_property(env, error, "errno", number);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, error, "syscall", name);
  return error;
}

napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_throw(env, errno_error(env, syscall, err));
  return NULL;
}

napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* An fd is an integer >= 0: 3.5 must not quietly become 3. */
int get_fd(napi_env env, napi_value value, int *fd) {
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok) return 0;
  if (!(number >= 0 && number <= INT_MAX) || number != (double)(int)number) return 0;
  *fd = (int)number;
  return 1;
}

/* send(path: string, message: Buffer, fds: number[]): 0 or a negative errno.
 * notify.ts checks the address, the message and the fd count; what is checked
 * here is only what keeps the copies into C memory safe. A failed send is a
 * return value, not an exception: EAGAIN is expected on the hot path. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t path_len;
  void *data;
  size_t data_len;
  bool is_buffer = false, is_array = false;
  uint32_t nfds = 0;
  int *fds = NULL;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &path_len) != napi_ok)
    return throw_type(env, "send(path: string, message: Buffer, fds: number[])");
  if (path_len > sizeof(path) - 1) path_len = sizeof(path); /* sd_send refuses it: ENAMETOOLONG */
  else napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &path_len);
  napi_is_buffer(env, argv[1], &is_buffer);
  napi_is_array(env, argv[2], &is_array);
  if (!is_buffer || !is_array || napi_get_buffer_info(env, argv[1], &data, &data_len) != napi_ok)
    return throw_type(env, "send(path: string, message: Buffer, fds: number[])");
  napi_get_array_length(env, argv[2], &nfds);
  if (nfds > 0) {
    fds = malloc(sizeof(int) * nfds);
    if (fds == NULL) return throw_errno(env, "malloc", ENOMEM);
  }
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value element;
    napi_get_element(env, argv[2], i, &element);
    if (!get_fd(env, element, &fds[i])) {
      free(fds);
      return throw_type(env, "send: every fd must be an integer >= 0");
    }
  }

  int r = sd_send(path, path_len, data, data_len, fds, nfds);
  free(fds);
  napi_create_int32(env, r, &result);
  return result;
}

/* dup(fd): a close-on-exec copy of fd, for a message that must outlive its caller's fds */
static napi_value js_dup(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_fd(env, argv[0], &fd)) return throw_type(env, "dup: fd must be an integer >= 0");
  /* 3 or above: a copy in a free stdio slot would receive what is written to stdout or stderr. */
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return throw_errno(env, "fcntl", errno);
  napi_create_int32(env, copy, &result);
  return result;
}

/* journalSend(path: string, entry: Buffer): undefined; never blocks (EAGAIN when journald is behind) */
static napi_value js_journal_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t path_len;
  void *data;
  size_t data_len;
  bool is_buffer = false;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return throw_type(env, "journalSend(path, entry) needs two arguments");
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &path_len) != napi_ok)
    return throw_type(env, "journalSend: path must be a string");
  if (path_len > sizeof(path) - 1) return throw_errno(env, "journalSend", ENAMETOOLONG);
  napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &path_len);
  napi_is_buffer(env, argv[1], &is_buffer);
  if (!is_buffer || napi_get_buffer_info(env, argv[1], &data, &data_len) != napi_ok)
    return throw_type(env, "journalSend: entry must be a Buffer");
  int r = journal_send(path, path_len, data, data_len);
  if (r < 0) return throw_errno(env, "sendmsg", -r);
  return NULL;
}

static void set_int(napi_env env, napi_value object, const char *key, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

static void set_string(napi_env env, napi_value object, const char *key, const char *s, size_t len) {
  napi_value v;
  napi_create_string_utf8(env, s, len, &v);
  napi_set_named_property(env, object, key, v);
}

/* A TCP listener's backlog as the kernel holds it (sk_max_ack_backlog, already capped by
 * net.core.somaxconn): TCP_INFO reports it in tcpi_sacked for listening sockets. -1 when unknown. */
static int tcp_listen_backlog(int fd) {
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  memset(&ti, 0, sizeof(ti));
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || ti.tcpi_state != TCP_LISTEN) return -1;
  return ti.tcpi_sacked > INT_MAX ? INT_MAX : (int)ti.tcpi_sacked;
}

/* socketInfo(fd): { domain, type, listening, address?, port?, path?, backlog? } */
static napi_value js_socket_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, flag;
  int fd, domain, type, listening;
  socklen_t len = sizeof(int);
  struct sockaddr_storage ss;
  socklen_t ss_len = sizeof(ss);

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_fd(env, argv[0], &fd)) return throw_type(env, "socketInfo: fd must be an integer >= 0");

  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) return throw_errno(env, "getsockopt", errno);
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return throw_errno(env, "getsockopt", errno);
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0) return throw_errno(env, "getsockopt", errno);
  memset(&ss, 0, sizeof(ss));
  if (getsockname(fd, (struct sockaddr *)&ss, &ss_len) < 0) return throw_errno(env, "getsockname", errno);

  napi_create_object(env, &result);
  set_int(env, result, "domain", domain);
  set_int(env, result, "type", type);
  napi_get_boolean(env, listening != 0, &flag);
  napi_set_named_property(env, result, "listening", flag);
  if (listening && type == SOCK_STREAM && (domain == AF_INET || domain == AF_INET6)) {
    int backlog = tcp_listen_backlog(fd);
    if (backlog >= 0) set_int(env, result, "backlog", backlog);
  }

  char text[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    set_string(env, result, "address", text, NAPI_AUTO_LENGTH);
    set_int(env, result, "port", ntohs(in->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    set_string(env, result, "address", text, NAPI_AUTO_LENGTH);
    set_int(env, result, "port", ntohs(in6->sin6_port));
  } else if (ss.ss_family == AF_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *)&ss;
    size_t name_len = ss_len > offsetof(struct sockaddr_un, sun_path)
                          ? ss_len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (name_len == 0) {
      set_string(env, result, "path", "", 0); /* unnamed */
    } else if (un->sun_path[0] == '\0') {
      un->sun_path[0] = '@'; /* abstract: shown the way systemd writes it */
      set_string(env, result, "path", un->sun_path, name_len);
    } else {
      set_string(env, result, "path", un->sun_path, strnlen(un->sun_path, name_len));
    }
  }
  return result;
}

/* pipe(): [readFd, writeFd], both close-on-exec */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  int fds[2];
  napi_value result, v;
  (void)info;
  if (pipe2(fds, O_CLOEXEC) < 0) return throw_errno(env, "pipe2", errno);
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, fds[0], &v);
  napi_set_element(env, result, 0, v);
  napi_create_int32(env, fds[1], &v);
  napi_set_element(env, result, 1, v);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketInfo", NULL, js_socket_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipe", NULL, js_pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dup", NULL, js_dup, NULL, NULL, NULL, napi_enumerable, NULL},
      {"journalSend", NULL, js_journal_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindDatagram", NULL, js_bind_datagram, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receive", NULL, js_receive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"waitReadable", NULL, js_wait_readable, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listenSocket", NULL, js_listen_socket, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
