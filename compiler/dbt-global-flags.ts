/**
 * dbt-core 1.10's global flags (dbt/cli/main.py global_flags), accepted on every tx command as a
 * user pastes them from a dbt command line: before or after the command, `--flag value` or
 * `--flag=value`. A flag the command has (`--debug`, `--target`, `--fail-fast` on build) is kept
 * and moved after the command name; any other is taken out and named in one note (dbt's version
 * check, colours, partial parsing, log levels ... mean nothing to tx).
 */
import type { Command, Option } from 'commander';

/** dbt's global flags: the names that take a value, and the on/off switches (with their --no- forms). */
const VALUE_FLAGS = [
  '--deprecated-defer',
  '--defer-state',
  '--deprecated-favor-state',
  '--deprecated-state',
  '--indirect-selection',
  '--log-file-max-bytes',
  '--log-format',
  '--log-format-file',
  '--log-level',
  '--log-level-file',
  '--log-path',
  '--partial-parse-file-path',
  '--printer-width',
  '--profile',
  '--record-timing-info',
  '-r',
  '--state',
  '--target',
  '-t',
  '--warn-error-options',
];
const SWITCHES = [
  'cache-selected-only',
  'debug',
  'defer',
  'fail-fast',
  'favor-state',
  'log-cache-events',
  'macro-debugging',
  'partial-parse',
  'partial-parse-file-diff',
  'populate-cache',
  'print',
  'quiet',
  'send-anonymous-usage-stats',
  'show-resource-report',
  'single-threaded',
  'show-all-deprecations',
  'static-parser',
  'use-colors',
  'use-colors-file',
  'use-experimental-parser',
  'version-check',
  'write-json',
  'use-fast-test-edges',
  'upload-to-artifacts-ingest-api',
];
/** dbt's short forms, read as their long names. */
const SHORT: Record<string, string> = { '-d': '--debug', '-x': '--fail-fast', '-q': '--quiet' };
const FLAG_NAMES = new Set(['--warn-error', '--deprecated-print', '--deprecated-no-print', ...Object.keys(SHORT), ...SWITCHES.flatMap((s) => [`--${s}`, `--no-${s}`])]);
const VALUE_NAMES = new Set(VALUE_FLAGS);

/** Whether `arg` (without `=value`) is one of dbt's global flags. */
export function isDbtGlobalFlag(name: string): boolean {
  return FLAG_NAMES.has(name) || VALUE_NAMES.has(name);
}

/** The flags a command accepts (long and short forms, negations included). */
function accepted(cmd: Command): Set<string> {
  const out = new Set<string>();
  for (const o of cmd.options as readonly Option[]) {
    if (o.long) out.add(o.long);
    if (o.short) out.add(o.short);
  }
  return out;
}

/**
 * `argv` (process.argv) with dbt's global flags the command does not have taken out, and those it
 * has moved after the command name. `ignored` lists what was taken out, as written.
 */
export function stripDbtGlobalFlags(argv: string[], program: Command): { argv: string[]; ignored: string[]; command?: string } {
  const head = argv.slice(0, 2);
  const args = argv.slice(2);
  // the command: the first argument naming one (dbt's value flags before it skip their value)
  let cmdIndex = -1;
  let cmd: Command | undefined;
  const path: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (VALUE_NAMES.has(a)) i++;
      continue;
    }
    const sub = (cmd ?? program).commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    // nested commands (`docs generate`, `source freshness`): the innermost one names the flags
    cmd = sub;
    cmdIndex = i;
    path.push(sub.name());
    if (!sub.commands.length) break;
  }
  const has = cmd ? accepted(cmd) : new Set<string>();
  const ignored: string[] = [];
  const before: string[] = []; // flags the command has, found before its name
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (i === cmdIndex || !isDbtGlobalFlag(name)) {
      out.push(a);
      continue;
    }
    const takesValue = VALUE_NAMES.has(name) && eq < 0 && i + 1 < args.length;
    const whole = takesValue ? [a, args[i + 1]!] : [a];
    if (takesValue) i++;
    // dbt's --log-format default|debug: tx's text
    const value = takesValue ? whole[1]! : eq > 0 ? a.slice(eq + 1) : undefined;
    if (name === '--log-format' && (value === 'default' || value === 'debug') && has.has(name)) {
      ignored.push(`${whole.join(' ')} (tx prints text)`);
      whole.splice(0, whole.length, '--log-format', 'text');
    }
    // a short form the command lacks, as its long name (`-d`: --debug)
    if (!has.has(name) && SHORT[name] && has.has(SHORT[name]!)) whole[0] = SHORT[name]!;
    if (has.has(whole[0]!.split('=')[0]!)) {
      if (cmdIndex >= 0 && i < cmdIndex) before.push(...whole);
      else out.push(...whole);
    } else {
      ignored.push(whole.join(' '));
    }
  }
  if (before.length) {
    const at = out.indexOf(args[cmdIndex]!);
    out.splice(at + 1, 0, ...before);
  }
  return { argv: [...head, ...out], ignored, command: path.length ? path.join(' ') : undefined };
}

/** The one note naming the dbt flags tx took out. */
export function ignoredFlagsNote(ignored: string[], command: string | undefined): string {
  return `note: dbt flags that mean nothing to tx${command ? ` ${command}` : ''}, ignored: ${ignored.join(', ')}`;
}

/** Every dbt global flag tx accepts (for tests: each must be one `dbt <command> --help` lists). */
export const DBT_GLOBAL_FLAG_NAMES: readonly string[] = [...FLAG_NAMES, ...VALUE_NAMES];
