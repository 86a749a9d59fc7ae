// Mode 1 reference without activation: an ordinary net server bound to PORT.
import net from 'node:net';

const server = net.createServer((connection) => {
  connection.on('error', () => {});
  connection.end('This is a test\n');
});
server.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }, () => {
  process.stderr.write(`Listening on 127.0.0.1:${process.env.PORT}\n`);
});
