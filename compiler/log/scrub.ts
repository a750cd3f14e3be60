/**
 * The one scrubber for secrets, used by every writer: the logger (console and logs/tx.log),
 * artifacts in target/ (manifest, run_results, compiled and run SQL, catalog, compile cache,
 * JUnit XML), the docs site and the CLI's error messages.
 *
 * Secret values are
 * - the values of environment variables named `DBT_ENV_SECRET_*` or `TX_ENV_SECRET_*`;
 * - the exporters' credential variables (`AWS_SECRET_ACCESS_KEY`, `AZURE_STORAGE_KEY`, ...) and
 *   the secrets they learn at run time (SAS tokens), from targets/exports/export-error.ts;
 * - every target's passwords, tokens and keys (`password`, `token`, `secret`, `*_key`, ...),
 *   however they were given (a literal, `env_var()`, a var), registered when a target resolves.
 *
 * Each is replaced by `*****` wherever it appears, also in its JSON-escaped, SQL-quoted and
 * URL-encoded forms (a secret with quotes, backslashes or newlines is written escaped in a
 * JSON artifact). It is a plain substring search, so regex characters and unicode need nothing
 * special. The environment is read once per process (it is fixed for the CLI; resetSecrets()
 * reads it again): reading process.env costs tens of microseconds, and every log line and every
 * cached model passes here.
 *
 * The minimum length rule: a value shorter than MIN_SECRET_LENGTH characters is not masked
 * (masking `x` would destroy every `x` of the output); tx warns once that it is too short to
 * be hidden. Longer values are masked everywhere, as dbt does, even where the same text is
 * ordinary data: a password that is also a word of the output (`postgres`) hides that word.
 *
 * Secret environment variables may be read only where their value is never stored: targets,
 * `packages.yml`, hooks (pre/post hooks, on-run-start/end) and export destinations. Anywhere
 * else (a model's SQL, a var, a source path, a description) `env_var()` of one is an error that
 * names the place, as dbt's `SecretEnvVarLocationError`. Renderers of the allowed places wrap
 * the render in `allowSecretEnvVars()`; `env_var()` calls `checkEnvVarRead()`.
 */
import { exportSecretsVersion, knownExportSecrets } from '../../targets/exports/export-error.js';
import { TxError } from '../errors.js';

export const MASK = '*****';
/** Values shorter than this are not masked (they would mask ordinary text). */
export const MIN_SECRET_LENGTH = 6;
export const SECRET_ENV_PREFIXES = ['DBT_ENV_SECRET_', 'TX_ENV_SECRET_'] as const;

/** Target config keys whose values are secrets. */
const SECRET_KEY_NAMES = new Set(['password', 'passwd', 'pass', 'token', 'secret', 'account_key', 'sas', 'sas_token', 'connection_string', 'private_key', 'private_key_passphrase', 'api_key', 'access_key', 'client_secret', 'keyfile_json']);
const SECRET_KEY_PATTERN = /(password|passwd|secret|token|private_key|account_key|access_key|api_key|connection_string)$/i;

export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_PREFIXES.some((p) => name.startsWith(p));
}

/** Whether a target config key holds a secret (`password`, `token`, `s3_secret_access_key`, ...). */
export function isSecretConfigKey(key: string): boolean {
  return SECRET_KEY_NAMES.has(key.toLowerCase()) || SECRET_KEY_PATTERN.test(key);
}

const registered = new Map<string, string>(); // value → where it came from (for warnings)
const tooShort = new Map<string, string>(); // where → value, for the one warning
let warned = new Set<string>();

/**
 * Register a value that must never be written. `where` names its origin for the too-short
 * warning (`env TX_ENV_SECRET_PW`, `targets.prod.password`), never the value.
 */
export function registerSecret(value: unknown, where = 'a secret'): void {
  if (typeof value !== 'string' || value.trim() === '') return;
  if (value.length < MIN_SECRET_LENGTH) {
    tooShort.set(where, value);
    return;
  }
  if (!registered.has(value)) {
    registered.set(value, where);
    stale = true;
  }
}

/** Register every secret of a target's config (nested settings too). */
export function registerTargetSecrets(config: Record<string, unknown>, where: string): void {
  const walk = (o: unknown, path: string): void => {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      if (typeof v === 'string' && isSecretConfigKey(k)) registerSecret(v, `${path}.${k}`);
      else if (v && typeof v === 'object') walk(v, `${path}.${k}`);
    }
  };
  walk(config, where);
}

/** The secret environment variables' values (read each time: the environment can change). */
function envSecrets(env: NodeJS.ProcessEnv = process.env): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && isSecretEnvName(k)) out.push([k, v]);
  return out;
}

/** The forms a value takes in text tx writes: as is, JSON-escaped, SQL-quoted, URL-encoded. */
function forms(value: string): string[] {
  const out = new Set([value]);
  out.add(JSON.stringify(value).slice(1, -1));
  out.add(value.replace(/'/g, "''"));
  out.add(encodeURIComponent(value));
  // JSON-escaped after HTML-safe escaping, as the docs site embeds JSON in <script>
  out.add(JSON.stringify(value).slice(1, -1).replace(/</g, '\\u003c'));
  return [...out].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

let stale = true;
let seenExportVersion = -1;
let envValues: string[] | null = null;
let cachedNeedles: string[] = [];

/** Every needle to replace, longest first (so a secret inside another is not half-masked). */
function needles(): string[] {
  if (!stale && envValues && seenExportVersion === exportSecretsVersion()) return cachedNeedles;
  if (!envValues) {
    envValues = [];
    for (const [k, v] of envSecrets()) {
      if (v.length >= MIN_SECRET_LENGTH) envValues.push(v);
      else if (v.trim() !== '') tooShort.set(`environment variable ${k}`, v);
    }
    for (const v of knownExportSecrets()) if (v.length >= MIN_SECRET_LENGTH) envValues.push(v);
  } else if (seenExportVersion !== exportSecretsVersion()) {
    for (const v of knownExportSecrets()) if (v.length >= MIN_SECRET_LENGTH && !envValues.includes(v)) envValues.push(v);
  }
  seenExportVersion = exportSecretsVersion();
  const all = new Set<string>();
  for (const v of [...registered.keys(), ...envValues]) for (const f of forms(v)) all.add(f);
  cachedNeedles = [...all].sort((a, b) => b.length - a.length);
  stale = false;
  return cachedNeedles;
}

/** `text` with every secret (of MIN_SECRET_LENGTH characters or more) replaced by `*****`. */
export function scrub(text: string): string {
  const list = needles();
  if (!list.length) return text;
  let out = text;
  for (const n of list) if (out.includes(n)) out = out.split(n).join(MASK);
  return out;
}

/** Whether there is any secret to mask at all (lets a caller skip building text to check). */
export function anySecrets(): boolean {
  return needles().length > 0;
}

/** Whether `text` holds a secret that `scrub` would mask. */
export function containsSecret(text: string): boolean {
  return needles().some((n) => text.includes(n));
}

/**
 * Warnings for secrets too short to be masked, each once per process: names only, never the
 * value. The logger prints them.
 */
export function shortSecretWarnings(): string[] {
  needles();
  const out: string[] = [];
  for (const where of tooShort.keys()) {
    if (warned.has(where)) continue;
    warned.add(where);
    out.push(`the secret in ${where} is shorter than ${MIN_SECRET_LENGTH} characters: tx does not mask it in logs and artifacts (it would mask ordinary text too); use a longer value`);
  }
  return out;
}

// ------------------------------------------------------------------ where secret env vars may be read

let allowDepth = 0;

/** Run `fn` (a render of a target, packages.yml, a hook or an export) with secret env vars allowed. */
export function allowSecretEnvVars<T>(fn: () => T): T {
  allowDepth++;
  try {
    return fn();
  } finally {
    allowDepth--;
  }
}

/**
 * Called by `env_var(name)` with the value it is about to return: a secret variable outside a
 * target, packages.yml, a hook or an export is an error; its value is registered for masking.
 * The template engine adds the file and line of the call.
 */
export function checkEnvVarRead(name: string, value: string | undefined): void {
  if (!isSecretEnvName(name)) return;
  if (allowDepth === 0) {
    throw new TxError('TEMPLATE', `secret environment variable \`${name}\` is read where its value would be stored`, {
      hint: 'secret variables (DBT_ENV_SECRET_*, TX_ENV_SECRET_*) may be read only in targets, packages.yml, hooks and export destinations; use a variable without the secret prefix if the value is not a secret',
    });
  }
  registerSecret(value, `environment variable ${name}`);
}

/** Forget registered secrets and read the environment again (tests). */
export function resetSecrets(): void {
  registered.clear();
  tooShort.clear();
  warned = new Set();
  envValues = null;
  stale = true;
  cachedNeedles = [];
}
