/* The receiving end of NOTIFY_SOCKET, for a program that plays the service
 * manager's part (the sdnode CLI): bind a datagram socket that asks for the
 * sender's credentials, take one datagram with its fds without blocking, and
 * wait for readability on the libuv thread pool, never on the event loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnode.h"

/* One byte more than the manager accepts, so that a longer datagram shows as such. */
#define NOTIFY_MAX 4096
#define WAIT_MAX_FDS 64
/* The kernel passes at most SCM_MAX_FD fds in one message: room for all of them. */
#define RECEIVE_MAX_FDS 253

static napi_value string_argument(napi_env env, napi_value value, char *out, size_t size, size_t *len) {
  if (napi_get_value_string_utf8(env, value, NULL, 0, len) != napi_ok) return NULL;
  if (*len >= size) return NULL;
  napi_get_value_string_utf8(env, value, out, size, len);
  return value;
}

/* bindDatagram(path): fd — AF_UNIX SOCK_DGRAM, non-blocking, close-on-exec, SO_PASSCRED */
napi_value js_bind_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
  size_t path_len;
  struct sockaddr_un sa;
  socklen_t sa_len;
  int one = 1;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || string_argument(env, argv[0], path, sizeof(path), &path_len) == NULL)
    return throw_type(env, "bindDatagram: path must be a string of at most 108 bytes");
  int r = unix_address(path, path_len, &sa, &sa_len);
  if (r < 0) return throw_errno(env, "bind", -r);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 || bind(fd, (struct sockaddr *)&sa, sa_len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  napi_create_int32(env, fd, &result);
  return result;
}

static void set_number(napi_env env, napi_value object, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

/* receive(fd): { data, size, pid, uid, gid, fds, truncated } or null when nothing waits.
 * size is the datagram's real length (data holds at most NOTIFY_MAX + 1 bytes of it);
 * pid/uid/gid are -1 without credentials; fds arrive close-on-exec and are the caller's to close. */
napi_value js_receive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, buffer, fds_array, flag;
  int fd;
  char data[NOTIFY_MAX + 1];
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * RECEIVE_MAX_FDS)];
  } control;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_fd(env, argv[0], &fd)) return throw_type(env, "receive: fd must be an integer >= 0");

  struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
  ssize_t n;
  do {
    n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, "recvmsg", errno);
  }

  struct ucred cred = {.pid = -1, .uid = (uid_t)-1, .gid = (gid_t)-1};
  int have_cred = 0;
  uint32_t nfds = 0;
  napi_create_array(env, &fds_array);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
      memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      have_cred = 1;
    } else if (c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int passed;
        napi_value v;
        memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        napi_create_int32(env, passed, &v);
        napi_set_element(env, fds_array, nfds++, v);
      }
    }
  }

  size_t kept = (size_t)n < sizeof(data) ? (size_t)n : sizeof(data);
  napi_create_object(env, &result);
  napi_create_buffer_copy(env, kept, data, NULL, &buffer);
  napi_set_named_property(env, result, "data", buffer);
  set_number(env, result, "size", (double)n);
  set_number(env, result, "pid", have_cred ? cred.pid : -1);
  set_number(env, result, "uid", have_cred ? (double)cred.uid : -1);
  set_number(env, result, "gid", have_cred ? (double)cred.gid : -1);
  napi_set_named_property(env, result, "fds", fds_array);
  napi_get_boolean(env, (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0, &flag);
  napi_set_named_property(env, result, "truncated", flag);
  return result;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  struct pollfd fds[WAIT_MAX_FDS];
  nfds_t nfds;
  int timeout_ms;
  int err;
} wait_job;

/* On a thread-pool thread: the event loop goes on meanwhile. */
static void wait_execute(napi_env env, void *data) {
  wait_job *job = data;
  (void)env;
  int r = poll(job->fds, job->nfds, job->timeout_ms);
  /* A signal cuts the wait short: that is an empty answer, and the caller waits again. */
  job->err = r < 0 && errno != EINTR ? errno : 0;
  if (r <= 0) {
    for (nfds_t i = 0; i < job->nfds; i++) job->fds[i].revents = 0;
  }
}

static void wait_complete(napi_env env, napi_status status, void *data) {
  wait_job *job = data;
  napi_value ready, v;
  if (status != napi_ok || job->err != 0) {
    napi_reject_deferred(env, job->deferred, errno_error(env, "poll", job->err != 0 ? job->err : ECANCELED));
  } else {
    uint32_t count = 0;
    napi_create_array(env, &ready);
    for (nfds_t i = 0; i < job->nfds; i++) {
      if (job->fds[i].revents == 0) continue;
      napi_create_int32(env, job->fds[i].fd, &v);
      napi_set_element(env, ready, count++, v);
    }
    napi_resolve_deferred(env, job->deferred, ready);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

/* waitReadable(fds, timeoutMs, hangUpOnly = false): Promise<number[]> — the fds that are readable
 * (or hung up, or in error) within timeoutMs, [] when none. Nothing is read or accepted. With
 * hangUpOnly, readability does not count: only POLLHUP and POLLERR, which poll always reports (what
 * a service manager watches its fd store for). */
napi_value js_wait_readable(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], promise, name;
  bool is_array = false, hang_up_only = false;
  uint32_t nfds = 0;
  double timeout;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return throw_type(env, "waitReadable(fds, timeoutMs) needs two arguments");
  napi_is_array(env, argv[0], &is_array);
  if (!is_array) return throw_type(env, "waitReadable: fds must be an array of fds");
  napi_get_array_length(env, argv[0], &nfds);
  if (nfds > WAIT_MAX_FDS) return throw_errno(env, "poll", E2BIG);
  if (napi_get_value_double(env, argv[1], &timeout) != napi_ok || !(timeout >= 0 && timeout <= 3600000))
    return throw_type(env, "waitReadable: timeoutMs must be a number from 0 to 3600000");
  napi_valuetype third = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[2], &third);
  if (third != napi_undefined && napi_get_value_bool(env, argv[2], &hang_up_only) != napi_ok)
    return throw_type(env, "waitReadable: hangUpOnly must be a boolean");

  wait_job *job = calloc(1, sizeof(*job));
  if (job == NULL) return throw_errno(env, "poll", ENOMEM);
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value element;
    napi_get_element(env, argv[0], i, &element);
    if (!get_fd(env, element, &job->fds[i].fd)) {
      free(job);
      return throw_type(env, "waitReadable: every fd must be an integer >= 0");
    }
    job->fds[i].events = hang_up_only ? 0 : POLLIN;
  }
  job->nfds = nfds;
  job->timeout_ms = (int)timeout;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "sdnode:waitReadable", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, wait_execute, wait_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}
