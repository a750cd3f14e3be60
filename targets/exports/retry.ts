/**
 * Retry with exponential backoff and full jitter, for throttling, 5xx and timeouts.
 *
 * The AWS and Azure SDKs already retry single requests a few times; this wraps whole
 * operations (one file upload, one manifest write) so a longer blip — a server restarting,
 * a burst of 503 SlowDown — costs a retry instead of the export.
 */
import { errorMessage } from './export-error.js';

export interface RetryOptions {
  /** Total attempts, including the first. */
  attempts: number;
  /** First delay; doubles each attempt, capped by maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000 };

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalError',
  'TimeoutError',
  'ServerBusy',
  'OperationTimedOut',
]);

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_SEND_ERROR',
  'ServerBusy',
  'OperationTimedOut',
]);

/** HTTP status of an AWS or Azure SDK error, when it has one. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { $metadata?: { httpStatusCode?: number }; statusCode?: number; $response?: { statusCode?: number } } | null;
  return e?.$metadata?.httpStatusCode ?? e?.statusCode ?? e?.$response?.statusCode;
}

/** True for errors worth another try: throttling, 5xx, timeouts, dropped connections. */
export function isTransient(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: string; $retryable?: unknown; cause?: unknown };
  if (e.name === 'AbortError') return false;
  const status = httpStatus(err);
  if (status !== undefined && (status === 408 || status === 429 || status >= 500)) return true;
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e.cause && e.cause !== err) return isTransient(e.cause);
  return false;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run `fn` until it succeeds, a non-transient error occurs, or attempts run out.
 * `onRetry` hears each retry (for a log line); the last error is rethrown as is.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions & { signal?: AbortSignal; onRetry?: (message: string, delayMs: number, attempt: number) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !isTransient(err) || opts.signal?.aborted) throw err;
      const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
      opts.onRetry?.(errorMessage(err), delay, attempt);
      await sleep(delay, opts.signal);
    }
  }
}
