// The benchmark's loopback ports come from the tests' helper: free when handed out and reserved for
// this process, so a benchmark and a test run on the same machine never share one.
export { freePort as pickPort } from '../../test/support/free-port.mjs';
