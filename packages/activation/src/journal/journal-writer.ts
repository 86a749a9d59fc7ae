import { stderrIsJournal, stderrLines, writeStderr } from './stderr.js';
import { loadNative, nativeLoadError } from '../native/index.js';

// While journald is behind, entries wait here; past these it is stalled, not busy.
const RETRY_MS = 10;
const STALL_MS = 2000;
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export interface WriterOptions {
  identifier: string;
  socket: string;
  target: 'auto' | 'journal' | 'stderr';
  env: NodeJS.ProcessEnv;
}

/**
 * Where a logger's entries go, decided on the first one: journald's socket, where they wait in
 * order while it is behind, or stderr, for good from the journal's first failure or stall on.
 * Never blocks.
 */
export class JournalWriter {
  private current: 'journal' | 'stderr' | undefined;
  private prefixed = false;
  private readonly pending: { entry: Buffer; priority: number; text: string }[] = [];
  private pendingBytes = 0;
  private lastProgress = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly options: WriterOptions) {}

  get target(): 'journal' | 'stderr' | 'undecided' {
    return this.current ?? 'undecided';
  }

  /** `entry` to journald (now, or queued behind the others), or `text` to stderr. */
  write(entry: Buffer, priority: number, text: string): void {
    if ((this.current ?? this.decide()) === 'stderr') {
      writeStderr(this.stderrLines(priority, text));
      return;
    }
    // Queued behind earlier entries, or journald is behind: keep the order.
    const result = this.pending.length === 0 ? this.trySend(entry) : 'busy';
    if (result === 'sent') return;
    if (result === 'failed') writeStderr(this.stderrLines(priority, text));
    else this.enqueue(entry, priority, text);
  }

  private decide(): 'journal' | 'stderr' {
    this.prefixed = stderrIsJournal(this.options.env);
    const wanted = this.options.target;
    this.current = wanted === 'journal' || (wanted === 'auto' && this.prefixed) ? 'journal' : 'stderr';
    if (this.current === 'journal' && loadNative() === undefined) this.fallBack(`the native part did not load (${nativeLoadError()})`);
    return this.current;
  }

  private stderrLines(priority: number, text: string): string {
    return stderrLines(this.options.identifier, priority, text, this.prefixed);
  }

  /** Sends one entry now: 'busy' when journald is behind; a failure turns the writer to stderr. */
  private trySend(entry: Buffer): 'sent' | 'busy' | 'failed' {
    try {
      loadNative()!.journalSend(this.options.socket, entry);
      return 'sent';
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EAGAIN') return 'busy';
      this.fallBack(`${this.options.socket}: ${e.message}`);
      return 'failed';
    }
  }

  private enqueue(entry: Buffer, priority: number, text: string): void {
    if (this.pending.length === 0) {
      this.lastProgress = Date.now();
      process.on('exit', this.flushOnExit);
    }
    this.pending.push({ entry, priority, text });
    this.pendingBytes += entry.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) this.fallBack(`journald is ${this.pendingBytes} bytes behind`);
    else this.retry ??= setTimeout(this.drain, RETRY_MS).unref();
  }

  private readonly drain = (): void => {
    this.retry = undefined;
    while (this.pending.length > 0) {
      const result = this.trySend(this.pending[0]!.entry);
      if (result === 'failed') return; // fallBack() wrote them all to stderr
      if (result === 'busy') {
        if (Date.now() - this.lastProgress > STALL_MS) this.fallBack(`journald has read nothing for ${STALL_MS} ms`);
        else this.retry = setTimeout(this.drain, RETRY_MS).unref();
        return;
      }
      this.pendingBytes -= this.pending.shift()!.entry.length;
      this.lastProgress = Date.now();
    }
    process.off('exit', this.flushOnExit);
  };

  // Timers no longer run: what journald has not taken yet is not lost, it goes to stderr.
  private readonly flushOnExit = (): void => {
    this.drain();
    if (this.pending.length > 0) this.fallBack('the process exits with entries journald has not taken', true);
  };

  /** stderr from now on, with one warning, and the queued entries written there in order. */
  private fallBack(reason: string, exiting = false): void {
    if (this.current === 'stderr') return;
    this.current = 'stderr';
    clearTimeout(this.retry);
    const warning = `${this.options.identifier}: journal entries go to stderr from now on: ${reason}`;
    // A process warning is printed on a later tick, which an exiting process does not reach.
    if (exiting) writeStderr(`${this.prefixed ? '<4>' : ''}${warning}\n`);
    else process.emitWarning(warning, { code: 'SDNODE_JOURNAL' });
    for (const { priority, text } of this.pending.splice(0)) writeStderr(this.stderrLines(priority, text));
    this.pendingBytes = 0;
    process.off('exit', this.flushOnExit);
  }
}
