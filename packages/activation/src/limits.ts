/** Limits that the kernel, systemd and Node set, written once for every module that meets them. */

/** The longest delay setTimeout/setInterval take: longer ones silently become 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The largest notification the manager reads (NOTIFY_BUFFER_MAX, PIPE_BUF): a larger one is dropped without a word. */
export const MAX_NOTIFY_MESSAGE_BYTES = 4096;

/** The longest AF_UNIX address, NOTIFY_SOCKET's included (sizeof(sun_path)). */
export const MAX_UNIX_PATH_BYTES = 108;

/** Most fds one datagram may carry with SCM_RIGHTS (the kernel's SCM_MAX_FD). */
export const MAX_FDS_PER_MESSAGE = 253;

/** systemd's USEC_INFINITY: the largest µs value means "never", not a duration. */
export const USEC_INFINITY = 2n ** 64n - 1n;

/** Notifications kept per NOTIFY_SOCKET while its receiver does not read (or systemd-notify is slower). */
export const MAX_QUEUED_NOTIFICATIONS = 64;
