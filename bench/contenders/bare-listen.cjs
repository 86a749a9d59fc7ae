// Mode 1 without the library: adopt the listening socket on fd 3 directly.
const net = require('node:net');

const server = net.createServer((connection) => {
  connection.on('error', () => {});
  connection.end('This is a test\n');
});
server.listen({ fd: 3 });
