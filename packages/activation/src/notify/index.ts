/**
 * Telling the service manager how the service is doing (sd_notify over NOTIFY_SOCKET): the
 * messages (READY, STATUS, STOPPING, RELOADING, the fd store, BARRIER…), their delivery without
 * ever blocking the event loop, the watchdog, the throttled served count, and reload on SIGHUP.
 */
export { notify, type NotifyFields, type NotifyOptions } from './notify.js';
export { watchdogTimeout, startWatchdog, type WatchdogTimeout, type Watchdog } from './watchdog.js';
export { onReload, type ReloadHandler, type ReloadOptions } from './reload.js';
