/**
 * What JavaScript cannot do alone, fenced in one place: the prebuilt native part (sendmsg to an
 * AF_UNIX datagram socket with credentials and fds, getsockopt on a passed fd, the journal's
 * native protocol) and, where it does not load, the fallbacks: /proc/net for an fd's kind, systemd-notify for a notification.
 */
export { loadNative, nativeLoadError, requireNative, type NativeBinding, type ReceivedDatagram } from './binding.js';
export { procSocket, type ProcSocket } from './proc-net.js';
export { sendWithSystemdNotify } from './systemd-notify.js';
