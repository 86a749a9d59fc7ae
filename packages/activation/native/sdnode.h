/* What the addon's C files share: Node-style errors, fd arguments, unix
 * addresses, and the functions each file adds to the exports. */
#ifndef SDNODE_SDNODE_H
#define SDNODE_SDNODE_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <sys/socket.h>
#include <sys/un.h>

/* An Error shaped like Node's own system errors: code, errno (negative), syscall. */
napi_value errno_error(napi_env env, const char *syscall, int err);
napi_value throw_errno(napi_env env, const char *syscall, int err);
napi_value throw_type(napi_env env, const char *message);
/* 1 when value is an integer fd >= 0 (stored in *fd), else 0. */
int get_fd(napi_env env, napi_value value, int *fd);
/* '/path' or '@abstract' as a sockaddr_un; returns 0 or a negative errno. */
int unix_address(const char *path, size_t path_len, struct sockaddr_un *sa, socklen_t *sa_len);

/* sd_recv.c: the receiving end of NOTIFY_SOCKET, for a program that manages services. */
napi_value js_bind_datagram(napi_env env, napi_callback_info info);
napi_value js_receive(napi_env env, napi_callback_info info);
napi_value js_wait_readable(napi_env env, napi_callback_info info);
/* sd_listen.c: sockets bound and listening, whose connections nobody accepts yet. */
napi_value js_listen_socket(napi_env env, napi_callback_info info);

#endif
