// Loads the library twice in one process, as an ESM application with a CommonJS plugin would (the
// ESM and the CommonJS build), and reports what each copy sees of the one activation.
import { createRequire } from 'node:module';
import net from 'node:net';

const esm = await import('../../dist/index.js');
const cjs = createRequire(import.meta.url)('../../dist/index.cjs');
const report = {};
report.distinctCopies = esm.listenFds !== cjs.listenFds;
report.esm = esm.listenFds();
report.cjs = cjs.listenFds();
report.cjsState = cjs.activationState();
report.left = process.env.LISTEN_FDS ?? null;

const server = net.createServer((socket) => {
  socket.end('served by the ESM copy');
  server.close();
});
report.listening = await esm.listen(server);
try {
  await cjs.listen(net.createServer());
  report.second = 'adopted twice';
} catch (error) {
  report.second = {
    code: error.code,
    message: error.message,
    instanceofEsm: error instanceof esm.SystemdError,
    instanceofCjs: error instanceof cjs.SystemdError,
  };
}
report.brand = {
  esmErrorIsCjs: new esm.SystemdError('x', 'EINVAL') instanceof cjs.SystemdError,
  plainErrorIsEsm: new Error('x') instanceof esm.SystemdError,
  lookalikeIsEsm: Object.assign(new Error('x'), { name: 'SystemdError', code: 'EINVAL' }) instanceof esm.SystemdError,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
