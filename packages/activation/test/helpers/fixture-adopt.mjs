// A small daemon for the adoption tests. Mode in argv[2]; reports one JSON line on stderr
// and serves one client before exiting.
import http from 'node:http';
import net from 'node:net';
import { acceptedConnection, activationState, adoptDatagram, listen, listenAll, listenFds, restoreConnections } from '../../dist/index.js';

const [mode, ...args] = process.argv.slice(2);
const report = (value) => process.stderr.write(`${JSON.stringify(value)}\n`);
const failure = (error) => ({ error: error.message, code: error.code, subject: error.subject, pid: process.pid });
const option = (name) => {
  const arg = args.find((a) => a.startsWith(`${name}=`));
  return arg === undefined ? undefined : arg.slice(name.length + 1);
};
const fallbackPort = option('fallback');
const options = {
  ...(option('name') === undefined ? {} : { name: option('name') }),
  ...(fallbackPort === undefined ? {} : { fallback: { host: '127.0.0.1', port: Number(fallbackPort) } }),
};

/** Answers one connection with `text`, then stops listening so the process can exit. */
function answerOnce(text) {
  const server = net.createServer((socket) => {
    socket.end(text);
    server.close();
  });
  return server;
}

switch (mode) {
  case 'http': {
    const server = http.createServer((request, response) => {
      response.setHeader('connection', 'close');
      response.end(`hello ${request.url}`);
      server.close();
    });
    listen(server, options).then(report, (error) => report(failure(error)));
    break;
  }
  case 'net': {
    const server = answerOnce('net');
    listen(server, options).then(
      (result) => report({ ...result, address: server.address() }),
      (error) => report(failure(error)),
    );
    break;
  }
  case 'all': {
    listenAll(() => {
      const server = net.createServer((socket) => {
        socket.end(`port ${server.address().port}`);
        server.close();
      });
      return server;
    }, options).then(
      (result) => report({ servers: result.servers.length, activated: result.activated, fds: result.fds }),
      (error) => report(failure(error)),
    );
    break;
  }
  case 'accepted': {
    const socket = acceptedConnection();
    socket.pipe(socket);
    report({ accepted: true });
    break;
  }
  case 'udp': {
    const socket = adoptDatagram();
    socket.on('message', (message, from) => {
      socket.send(`pong ${message}`, from.port, from.address, () => socket.close());
    });
    // bind({fd}) is synchronous: the socket is bound (and 'listening' was emitted) on return.
    report({ udp: socket.address() });
    break;
  }
  case 'wrong-kind': {
    // A datagram socket offered to listen(): refused before Node sees it, then still usable as UDP.
    const [fd] = listenFds();
    const server = net.createServer();
    listen(server, { fd: fd.fd }).then(
      () => report({ error: 'listen() accepted a datagram socket' }),
      (error) => {
        const socket = adoptDatagram({ fd: fd.fd });
        socket.on('message', (message, from) => socket.send(`still open ${message}`, from.port, from.address, () => socket.close()));
        report({ refused: failure(error), address: socket.address() });
      },
    );
    break;
  }
  case 'double': {
    const server = answerOnce('first');
    listen(server, options).then(async () => {
      const second = net.createServer();
      try {
        await listen(second, options);
        report({ error: 'second adoption succeeded' });
      } catch (error) {
        report({ second: failure(error) });
      }
    });
    break;
  }
  case 'unix-dgram': {
    try {
      adoptDatagram();
      report({ error: 'adopted an AF_UNIX datagram socket' });
    } catch (error) {
      report(failure(error));
    }
    break;
  }
  case 'every-adopter': {
    // What each adopting function says, and what listenFds() and the kept state say.
    const outcome = (call) => {
      try {
        call();
        return 'adopted';
      } catch (error) {
        return { code: error.code, subject: error.subject };
      }
    };
    const all = await listenAll(() => net.createServer(), options).then(
      () => 'adopted',
      (error) => ({ code: error.code, subject: error.subject }),
    );
    report({
      pid: process.pid,
      listenFds: listenFds(),
      meantForOther: activationState().meantForOther,
      listenAll: all,
      adoptDatagram: outcome(() => adoptDatagram()),
      acceptedConnection: outcome(() => acceptedConnection()),
      restoreConnections: outcome(() => restoreConnections()),
    });
    break;
  }
  case 'select': {
    // The selection rules, on two passed listening sockets named a and b.
    const outcome = (call) =>
      call().then(
        (result) => result,
        (error) => ({ code: error.code, subject: error.subject, error: error.message }),
      );
    report({
      notPassed: await outcome(() => listen(net.createServer(), { fd: 9 })),
      nameMismatch: await outcome(() => listen(net.createServer(), { fd: 3, name: 'b' })),
      byFd: await outcome(() =>
        listen(
          net.createServer((s) => s.end('by fd')),
          { fd: 4 },
        ),
      ),
      badFd: await outcome(() => listen(net.createServer(), { fd: -1 })),
    });
    break;
  }
  default:
    report({ error: `unknown mode ${mode}` });
    process.exitCode = 2;
}
