// The tests' one support module (as go-systemd's common_test.go): every test file imports from here.
// One concept a file; fixtures (the programs tests run) live in packages/*/test/fixtures.
// What stays elsewhere is specific to one group of tests and built on this module: the running
// `sdnode activate` and its events (packages/cli/test/helpers.ts), and the systemd test bed with its
// port locks, storm and README blocks (test/systemd/).
export * from './activate.js';
export * from './client.js';
export * from './held-connection.js';
export * from './launch.js';
export * from './markdown.js';
export * from './notify-lines.js';
export * from './notify-receiver.js';
export * from './output.js';
export * from './paths.js';
export * from './ports.js';
export * from './processes.js';
export * from './system-tools.js';
export * from './thrown.js';
export * from './transpiled-library.js';
export * from './trickler.js';
export * from './wait.js';
