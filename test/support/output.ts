import { waitFor } from './wait.js';

/** The JSON lines a fixture printed (stdout or stderr text). */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown);
}

/** Waits for the first JSON line a fixture printed. */
export async function firstJson(read: () => string, timeoutMs = 20_000): Promise<any> {
  await waitFor('JSON output from the fixture', () => jsonLines(read()).length > 0, timeoutMs);
  return jsonLines(read())[0];
}
