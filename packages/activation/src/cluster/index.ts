/**
 * node:cluster under socket activation, from the primary's side: serveCluster() forks the workers,
 * tells the manager when they all listen, replaces crashed ones with a backoff, and rolls them on
 * reload. Workers need nothing from here: listen() and listenAll() find the primary's sockets.
 */
export { serveCluster, type ClusterOptions, type Cluster } from './serve-cluster.js';
