import { type FSWatcher, statSync, watch } from 'node:fs';
import { SystemdError } from '@sdnode/activation';
import type { Event } from './events.js';

// An editor's save is several events: the restart waits until they have settled this long.
const WATCH_SETTLE_MS = 150;

/** --watch: calls `changed(path)` once the changes to a watched file or directory tree have settled. */
export class FileWatch {
  readonly #watchers: FSWatcher[] = [];
  #settling: NodeJS.Timeout | undefined;

  constructor(
    readonly print: (event: Event) => void,
    readonly changed: (path: string) => void,
  ) {}

  /** Throws a SystemdError (ENOENT) naming a path that does not exist. */
  add(path: string): void {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (cause) {
      throw new SystemdError(`--watch ${JSON.stringify(path)}: no such file or directory`, 'ENOENT', {
        subject: '--watch',
        value: path,
        cause,
      });
    }
    const watcher = watch(path, { recursive: isDirectory, persistent: false }, () => {
      clearTimeout(this.#settling);
      this.#settling = setTimeout(() => this.changed(path), WATCH_SETTLE_MS);
    });
    watcher.on('error', (error) => this.print({ event: 'error', message: `--watch ${path}: ${error.message}` }));
    this.#watchers.push(watcher);
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
  }
}
