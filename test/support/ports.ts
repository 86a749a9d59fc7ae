// The tests' one way to get a loopback port: see free-port.mjs (shared with bench/).
export { freePort, PORT_RANGE } from './free-port.mjs';
