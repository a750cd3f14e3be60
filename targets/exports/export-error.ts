/**
 * The exporters' error family and the secret scrubber every message passes through.
 *
 * `ExportError` extends `TargetError` (the runner already knows that one) with a `code` and a
 * `hint` a user can act on. Messages are scrubbed of keys, connection strings, SAS tokens and
 * signatures before an error is built, and no raw SDK error is kept as `cause` (SDK errors carry
 * request headers), so logging an ExportError with its stack leaks nothing.
 */
import { TargetError } from '../target.js';

export type ExportErrorCode =
  | 'EXPORT_CONFIG' // the export entry is wrong (unknown format, bad destination, ...)
  | 'EXPORT_PATH' // a local path escapes the export roots
  | 'EXPORT_AUTH' // credentials missing or refused
  | 'EXPORT_NOT_FOUND' // bucket, container or target does not exist
  | 'EXPORT_NETWORK' // server down, connection dropped, timeouts after retries
  | 'EXPORT_IO' // local disk: full, permission denied, ...
  | 'EXPORT_CANCELLED'
  | 'EXPORT_FAILED'; // anything else

export class ExportError extends TargetError {
  readonly code: ExportErrorCode;
  readonly hint?: string;

  constructor(code: ExportErrorCode, message: string, opts: { hint?: string; transient?: boolean } = {}) {
    super(scrubSecrets(message), { transient: opts.transient });
    this.name = 'ExportError';
    this.code = code;
    this.hint = opts.hint === undefined ? undefined : scrubSecrets(opts.hint);
    if (this.stack) this.stack = scrubSecrets(this.stack);
  }
}

/** Environment variables whose values are secrets wherever they appear. */
const SECRET_ENV = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AZURE_STORAGE_KEY',
  'AZURE_STORAGE_ACCESS_KEY',
  'AZURE_STORAGE_CONNECTION_STRING',
  'AZURE_STORAGE_SAS_TOKEN',
];

const extraSecrets = new Set<string>();
let extraVersion = 0;

/** Register a secret learned at run time (e.g. a SAS token from a URL) so it is scrubbed too. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6 && !extraSecrets.has(value)) {
    extraSecrets.add(value);
    extraVersion++;
  }
}

/** Changes whenever registerSecret learns a new secret (so a cache of knownExportSecrets() knows to refresh). */
export function exportSecretsVersion(): number {
  return extraVersion;
}

const PATTERNS: [RegExp, string][] = [
  [/(AccountKey\s*=\s*)[^;\s"']+/gi, '$1***'],
  [/(SharedAccessSignature\s*=\s*)[^;\s"']+/gi, '$1***'],
  [/([?&](?:sig|se|sv|sp|st|spr|srt|ss|sr|skoid|sktid|skt|ske|sks|skv|saoid|suoid|scid)=)[^&\s"']+/gi, '$1***'],
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1***'],
  [/(Signature=)[0-9a-f]{16,}/gi, '$1***'],
  [/(Credential=)[^,\s/]+/gi, '$1***'],
  [/(aws_secret_access_key\s*[=:]\s*)\S+/gi, '$1***'],
];

/**
 * The secret values the exporters know of: credential variables, the pieces of a connection
 * string, and secrets learned at run time. tx's one scrubber (compiler/log/scrub.ts) masks them
 * in every log line and artifact too.
 */
export function knownExportSecrets(): string[] {
  const known: string[] = [...extraSecrets];
  for (const name of SECRET_ENV) {
    const v = process.env[name];
    if (v && v.length >= 6) known.push(v);
  }
  // Pieces of a connection string are secrets by themselves as well.
  const cs = process.env.AZURE_STORAGE_CONNECTION_STRING;
  if (cs) {
    for (const kv of cs.split(';')) {
      const m = /^\s*(AccountKey|SharedAccessSignature)\s*=\s*(.+)$/i.exec(kv);
      if (m && m[2]!.length >= 6) known.push(m[2]!.trim());
    }
  }
  return known;
}

/** Remove anything that looks like, or is known to be, a secret. */
export function scrubSecrets(text: string): string {
  let out = text;
  const known = knownExportSecrets();
  known.sort((a, b) => b.length - a.length);
  for (const s of known) out = out.split(s).join('***');
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** `s3://bucket/prefix?...` and `https://...?sv=...` without their query strings. */
export function displayUri(uri: string): string {
  const q = uri.indexOf('?');
  return scrubSecrets(q >= 0 ? uri.slice(0, q) : uri);
}

/** The message of anything thrown, scrubbed. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const name = err.name && err.name !== 'Error' ? err.name : typeof code === 'string' ? code : '';
    const msg = err.message || name || 'unknown error';
    return scrubSecrets(name && !msg.includes(name) ? `${name}: ${msg}` : msg);
  }
  return scrubSecrets(String(err));
}

/** Node errno codes that mean the disk said no. */
const IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE', 'ENFILE', 'EISDIR', 'ENOTDIR']);

/** Wrap anything thrown into an ExportError (kept as is when it already is one). */
export function toExportError(err: unknown, context: string): ExportError {
  if (err instanceof ExportError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if ((err as { name?: string } | null)?.name === 'AbortError') {
    return new ExportError('EXPORT_CANCELLED', `${context}: cancelled`);
  }
  const msg = errorMessage(err);
  if (code === undefined && /No space left on device|Disk quota exceeded/i.test(msg)) {
    return new ExportError('EXPORT_IO', `${context}: ${msg}`, { hint: 'the disk is full: free space or export elsewhere; nothing was left half-written' });
  }
  if (typeof code === 'string' && IO_CODES.has(code)) {
    const hint =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'the disk is full: free space or export elsewhere; nothing was left half-written'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'tx may not write there: check the folder permissions'
          : undefined;
    return new ExportError('EXPORT_IO', `${context}: ${errorMessage(err)}`, { hint });
  }
  return new ExportError('EXPORT_FAILED', `${context}: ${errorMessage(err)}`);
}
