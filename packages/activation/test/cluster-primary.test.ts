// serveCluster's argument checks: each bad option is a SystemdError naming it, thrown before any
// worker is forked or any signal handler installed. (What it does with real workers is tested
// with examples/cluster under systemd-socket-activate, test/examples/cluster.test.ts.)
import cluster from 'node:cluster';
import { describe, expect, it } from 'vitest';
import { serveCluster } from '../src/cluster-primary.js';
import { SystemdError } from '../src/errors.js';

describe('serveCluster()', () => {
  it('rejects bad options with a SystemdError naming them, forking nothing', () => {
    const listeners = process.listenerCount('SIGTERM');
    const cases: [() => unknown, RegExp][] = [
      [() => serveCluster({ workers: 0 }), /^workers=0: expected a positive integer$/],
      [() => serveCluster({ workers: Number.NaN }), /^workers=NaN: expected a positive integer$/],
      [() => serveCluster({ workers: 1.5 }), /^workers=1\.5: /],
      [() => serveCluster({ workers: 2, stopDeadlineMs: 0 }), /^stopDeadlineMs=0: expected a number of milliseconds from 1 to/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(SystemdError);
      expect(call).toThrow(message);
    }
    expect(Object.keys(cluster.workers ?? {})).toEqual([]);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });
});
