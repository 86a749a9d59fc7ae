/**
 * The service manager's side of the two protocols (`@sdnode/activation/manager`), for tools that
 * start services the way systemd does, such as `sdnode activate`: holding a listening socket
 * without accepting on it, and receiving and parsing NOTIFY_SOCKET datagrams.
 */
export { holdSocket, whenHungUp, whenReadable, type HeldSocketAddress } from './held-socket.js';
export { isFdName, FDNAME_EXPECTED, FDNAME_MAX } from '../fd-name.js';
export { receiveNotifications, parseNotification, type Notification, type NotifyReceiver } from './notify-receiver.js';
