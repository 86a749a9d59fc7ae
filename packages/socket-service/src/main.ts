import { createServer, type Server } from 'node:net';
import { type ListeningAll, listenAll, notify, onReload, serveUntilStopped, startWatchdog } from '@sdnode/activation';
import { readAnswer } from './configuration.js';
import { fail, fallbackPort, idleTimeoutMs, log, orFail } from './options.js';

const port = fallbackPort();
const idleMs = idleTimeoutMs();
let answer = orFail(readAnswer);
listenAll(() => createServer((socket) => socket.end(`${answer}\n`)), {
  fallback: { port, host: '127.0.0.1' },
}).then(serve, fail);

function serve({ servers, activated }: ListeningAll<Server>): void {
  const where = activated ? 'activated socket' : `127.0.0.1:${port} (not socket-activated)`;

  // systemctl reload: read the configuration again; one that does not read leaves the answer as it was.
  // Installed before READY=1: under Type=notify-reload, newer systemd (systemd/systemd#39692) reads SigCgt
  // from /proc/PID/status when READY=1 arrives and fails the start if SIGHUP is not caught yet.
  // Only under a service manager: started from a terminal, SIGHUP is the terminal closing and must end us.
  if (process.env.NOTIFY_SOCKET !== undefined) {
    onReload(
      () => {
        answer = readAnswer();
        return `Serving on ${where}; configuration reloaded, answering "${answer}"`;
      },
      { onError: (err) => log.error(`reload failed, answering "${answer}" still: ${(err as Error).message}`) },
    );
  }
  notify.ready(`Serving on ${where}`);
  startWatchdog();
  // The connection that started us is already waiting: it is answered before this first log entry.
  setImmediate(() => {
    log.info(`serving on ${where}`);
    if (idleMs !== undefined && !activated) log.warning('idle timeout ignored: nothing would start it again');
  });

  // Idle exit only under socket activation: started by hand, nothing would start the daemon again.
  serveUntilStopped(servers, {
    idleTimeoutMs: activated ? idleMs : undefined,
    servedStatus: (served) => `Serving on ${where}; ${served} connection${served === 1 ? '' : 's'} served`,
    onStopping: (status) => log.notice(status),
  });
}
