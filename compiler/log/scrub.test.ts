/**
 * The one scrubber (./scrub.ts) and the logger that writes through it: every secret is
 * replaced by ***** on the console (text and JSON) and in logs/tx.log (messages, data and
 * statements), in every form it takes there; short values are left alone, with a warning.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { Logger, type LogFormat } from './logger.js';
import { MASK, MIN_SECRET_LENGTH, allowSecretEnvVars, checkEnvVarRead, containsSecret, registerSecret, registerTargetSecrets, resetSecrets, scrub, shortSecretWarnings } from './scrub.js';

const ENV_NAMES = ['TX_ENV_SECRET_SCRUB_A', 'DBT_ENV_SECRET_SCRUB_B', 'TX_ENV_SECRET_SHORT'];

let dir: string;
beforeEach(() => {
  resetSecrets();
  dir = mkdtempSync(join(tmpdir(), 'tx-scrub-'));
});
afterEach(() => {
  for (const n of ENV_NAMES) delete process.env[n];
  resetSecrets();
  rmSync(dir, { recursive: true, force: true });
});

/** A logger writing to a captured stream and to a log file in the test's folder. */
function capture(format: LogFormat): { logger: Logger; console: () => string; file: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const file = join(dir, 'logs', 'tx.log');
  const logger = new Logger({ format, file, debug: true, stream: stream as unknown as NodeJS.WriteStream });
  return { logger, console: () => out, file: () => readFileSync(file, 'utf8') };
}

describe('the logger masks secrets', () => {
  const PW = 'hunter2-long-password';

  it('a target password in messages, data and statements: console text and the log file', () => {
    const c = capture('text');
    c.logger.addSecret(PW);
    c.logger.info(`connecting with ${PW}`, { detail: `dsn=postgres://u:${PW}@h/db` });
    c.logger.error(`failed: password ${PW} refused`);
    c.logger.statement(`alter user u password '${PW}'`, 1.5, 'model.p.m');
    const all = c.console() + c.file();
    expect(all).not.toContain(PW);
    expect(c.console()).toBe(`connecting with ${MASK}\nfailed: password ${MASK} refused\n`);
    const lines = c.file().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual([`connecting with ${MASK}`, `failed: password ${MASK} refused`, 'statement']);
    expect(lines[0]!.detail).toBe(`dsn=postgres://u:${MASK}@h/db`);
    expect(lines[2]!.sql).toBe(`alter user u password '${MASK}'`);
  });

  it('console JSON lines are masked in their data too', () => {
    const c = capture('json');
    c.logger.addSecret(PW);
    c.logger.info('x', { password_used: PW });
    const line = JSON.parse(c.console().trim()) as Record<string, unknown>;
    expect(line.password_used).toBe(MASK);
  });

  it('DBT_ENV_SECRET_* and TX_ENV_SECRET_* values are masked without being registered', () => {
    process.env.TX_ENV_SECRET_SCRUB_A = 'value-of-secret-a';
    process.env.DBT_ENV_SECRET_SCRUB_B = 'value-of-secret-b';
    const c = capture('text');
    c.logger.info('a=value-of-secret-a b=value-of-secret-b');
    expect(c.console()).toBe(`a=${MASK} b=${MASK}\n`);
    expect(c.file()).not.toMatch(/value-of-secret/);
  });
});

describe('secrets of every shape', () => {
  const shapes: Record<string, string> = {
    'regex characters': 'a.*+?^${}()|[]\\/b',
    newlines: 'line one\nline two\r\nthree',
    unicode: 'pässwörd-秘密-🔑',
    quotes: `it's "quoted"`,
  };
  for (const [what, secret] of Object.entries(shapes)) {
    it(`${what}: masked as is, JSON-escaped, SQL-quoted and URL-encoded`, () => {
      registerSecret(secret, 'test');
      expect(scrub(`raw ${secret} end`)).toBe(`raw ${MASK} end`);
      expect(scrub(JSON.stringify({ v: `x ${secret} y` }))).toBe(JSON.stringify({ v: `x ${MASK} y` }));
      expect(scrub(`select '${secret.replace(/'/g, "''")}'`)).toBe(`select '${MASK}'`);
      expect(scrub(`https://h/?p=${encodeURIComponent(secret)}`)).toBe(`https://h/?p=${MASK}`);
      expect(containsSecret(`..${secret}..`)).toBe(true);
    });
  }

  it('the longer of two overlapping secrets is masked whole', () => {
    registerSecret('abcdef', 't1');
    registerSecret('abcdefghij', 't2');
    expect(scrub('<abcdefghij>')).toBe(`<${MASK}>`);
    expect(scrub('<abcdef>')).toBe(`<${MASK}>`);
  });

  it('text without secrets comes back unchanged', () => {
    registerSecret('zzzzzzzz', 't');
    const text = 'select a, b from "main"."t" -- nothing to hide\n';
    expect(scrub(text)).toBe(text);
    expect(containsSecret(text)).toBe(false);
  });
});

describe('the minimum length rule', () => {
  it(`a value shorter than ${MIN_SECRET_LENGTH} characters is not masked: ordinary output stays intact, with one warning naming where it came from`, () => {
    registerSecret('x', 'targets.dev.password');
    process.env.TX_ENV_SECRET_SHORT = 'abc';
    const text = 'select x, max(x) as abc from t -- x';
    expect(scrub(text)).toBe(text);
    const c = capture('text');
    c.logger.info('hello');
    c.logger.info('again');
    const warnings = c.console().split('\n').filter((l) => l.includes('shorter than'));
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('targets.dev.password');
    expect(warnings.join('\n')).toContain('environment variable TX_ENV_SECRET_SHORT');
    expect(shortSecretWarnings()).toEqual([]);
  });

  it(`a value of exactly ${MIN_SECRET_LENGTH} characters is masked everywhere, even inside ordinary words`, () => {
    registerSecret('sixsix', 't');
    expect(scrub('sixsix and sixsixty')).toBe(`${MASK} and ${MASK}ty`);
  });
});

describe('target secrets', () => {
  it('passwords, tokens and keys of a target config are registered, nested settings too; other values are not', () => {
    registerTargetSecrets(
      { type: 'duckdb', host: 'db.example.com', password: 'pw-of-target', token: 'tok-of-target', settings: { s3_secret_access_key: 'nested-secret-key' }, user: 'reporting-user' },
      'targets.t',
    );
    expect(scrub('pw-of-target tok-of-target nested-secret-key')).toBe(`${MASK} ${MASK} ${MASK}`);
    expect(scrub('db.example.com reporting-user')).toBe('db.example.com reporting-user');
  });
});

describe('where secret environment variables may be read', () => {
  it('outside a target, hook or export, env_var of a secret variable is an error naming it', () => {
    let err: unknown;
    try {
      checkEnvVarRead('DBT_ENV_SECRET_TOKEN', 'whatever-value');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TxError);
    expect((err as TxError).message).toContain('DBT_ENV_SECRET_TOKEN');
    expect((err as TxError).message).not.toContain('whatever-value');
    expect(() => checkEnvVarRead('PLAIN_VARIABLE', 'fine')).not.toThrow();
  });

  it('inside allowSecretEnvVars it is allowed, and its value becomes a secret', () => {
    expect(containsSecret('a-secret-read-in-a-hook')).toBe(false);
    allowSecretEnvVars(() => checkEnvVarRead('TX_ENV_SECRET_HOOKPW', 'a-secret-read-in-a-hook'));
    expect(scrub('pw: a-secret-read-in-a-hook')).toBe(`pw: ${MASK}`);
    // the allowance ends with the call, also when it throws
    expect(() =>
      allowSecretEnvVars(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => checkEnvVarRead('TX_ENV_SECRET_HOOKPW', 'a-secret-read-in-a-hook')).toThrow(TxError);
  });
});
