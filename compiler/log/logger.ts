import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TargetLog } from '../../targets/target.js';
import { registerSecret, scrub, shortSecretWarnings } from './scrub.js';

export type LogFormat = 'text' | 'json';
type Level = 'debug' | 'info' | 'warn' | 'error';

const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

const COLORS = { green: 32, red: 31, yellow: 33, grey: 90, bold: 1 } as const;

/**
 * The one logger: progress lines on the console (colour only on a TTY),
 * every line and every statement with its timing in logs/tx.log,
 * `--log-format json` for machines. Every line goes through the one scrubber (./scrub.ts)
 * before it is written, whole: message, data and statements alike.
 */
export class Logger implements TargetLog {
  private readonly color: boolean;
  constructor(
    private readonly opts: { format: LogFormat; file?: string; quiet?: boolean; debug?: boolean; stream?: NodeJS.WriteStream },
  ) {
    const s = opts.stream ?? process.stdout;
    this.color = opts.format === 'text' && !!s.isTTY && !process.env.NO_COLOR;
    if (opts.file) mkdirSync(dirname(opts.file), { recursive: true });
  }

  /** Any string that must never be written (passwords, keys): registered with the scrubber. */
  addSecret(s: string | undefined): void {
    registerSecret(s, 'a target');
  }

  /** `s` with every known secret replaced by `*****`. */
  mask(s: string): string {
    return scrub(s);
  }

  /** Warn once about secrets too short to be masked (their names, never their values). */
  private warnShortSecrets(): void {
    for (const w of shortSecretWarnings()) this.line('warn', w);
  }

  paint(text: string, c: keyof typeof COLORS): string {
    return this.color ? `\x1b[${COLORS[c]}m${text}\x1b[0m` : text;
  }

  private toFile(level: Level, msg: string, extra?: Record<string, unknown>): void {
    if (!this.opts.file) return;
    const line = scrub(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...extra }, bigintSafe));
    try {
      appendFileSync(this.opts.file, `${line}\n`);
    } catch {
      /* the log file is best effort */
    }
  }

  /** A console line (and the log file). `data` goes into the JSON form. */
  /** Warnings and errors logged so far (a compile that warned is never skipped as up to date). */
  warnings = 0;
  /** Lines logged so far, of any level (a `tx ls` that logged one is never served from its cache). */
  lines = 0;

  line(level: Level, msg: string, data?: Record<string, unknown>): void {
    this.lines++;
    if (level === 'warn' || level === 'error') this.warnings++;
    this.warnShortSecrets();
    const m = scrub(msg);
    this.toFile(level, m, data);
    if (this.opts.quiet && level !== 'error') return;
    if (level === 'debug' && !this.opts.debug) return;
    const s = this.opts.stream ?? (level === 'error' ? process.stderr : process.stdout);
    if (this.opts.format === 'json') s.write(`${scrub(JSON.stringify({ ts: new Date().toISOString(), level, msg: m.replace(/\x1b\[[0-9;]*m/g, ''), ...data }, bigintSafe))}\n`);
    else s.write(`${m}\n`);
  }

  info(msg: string, data?: Record<string, unknown>): void {
    this.line('info', msg, data);
  }
  warn(msg: string, data?: Record<string, unknown>): void {
    this.line('warn', this.color ? this.paint(msg, 'yellow') : msg, data);
  }
  error(msg: string, data?: Record<string, unknown>): void {
    this.line('error', msg, data);
  }
  debug(msg: string, data?: Record<string, unknown>): void {
    this.line('debug', msg, data);
  }

  /** Every statement sent to a warehouse, with its duration: log file only. */
  statement(sql: string, ms: number, node?: string): void {
    this.lines++;
    this.toFile('debug', 'statement', { node, ms: Math.round(ms * 100) / 100, sql });
  }
}
