import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { eventPrinter } from './events.js';
import { HELP, parseActivateArgs } from './options.js';
import { Supervisor } from './supervisor.js';

const USAGE = `Usage: sdnode activate [OPTIONS] [--] COMMAND [ARGS...]

Commands:
  activate   socket activation on a developer's machine (see sdnode activate --help)
`;

function fail(message: string): never {
  process.stderr.write(`sdnode: ${message}\n`);
  process.exit(1);
}

/** COMMAND as exec would find it, checked now: a typo is one clear line, not a start loop. */
function checkCommand(file: string): void {
  const candidates = file.includes('/') ? [file] : (process.env.PATH ?? '').split(':').map((dir) => path.join(dir || '.', file));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return;
    } catch {
      // try the next directory
    }
  }
  fail(
    file.includes('/') ? `COMMAND ${JSON.stringify(file)}: not an executable file` : `COMMAND ${JSON.stringify(file)}: not found in PATH`,
  );
}

const [subcommand, ...args] = process.argv.slice(2);
if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
  process.stdout.write(USAGE);
  process.exit(subcommand === undefined ? 1 : 0);
}
if (subcommand !== 'activate') fail(`unknown command ${JSON.stringify(subcommand)}; usage: sdnode activate [OPTIONS] -- COMMAND [ARGS...]`);

let options: ReturnType<typeof parseActivateArgs>;
try {
  options = parseActivateArgs(args);
} catch (error) {
  fail((error as Error).message);
}
if (options === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}
checkCommand(options.command[0] as string);
try {
  new Supervisor(options, eventPrinter(options.json)).start();
} catch (error) {
  fail((error as Error).message);
}
