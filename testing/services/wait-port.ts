import net from 'node:net';

/** True when a TCP connection to host:port is accepted within `timeoutMs`. */
export async function portAcceptsConnections(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface WaitOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Delay between attempts (ms). */
  intervalMs?: number;
  /**
   * Called before every attempt; a returned string aborts the wait with that message
   * (e.g. "the server process exited with code 1").
   */
  abortIf?: () => string | null;
  /** Used in error messages. */
  what?: string;
}

/**
 * Retries `attempt` until it returns a value other than `undefined` (or throws on its last try),
 * `abortIf` says to stop, or the timeout passes. The last error is kept for the timeout message.
 */
export async function waitFor<T>(attempt: () => Promise<T | undefined>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 250;
  let lastError: unknown = null;
  for (;;) {
    const abort = opts.abortIf?.() ?? null;
    if (abort !== null) throw new Error(`${opts.what ?? 'wait'}: ${abort}`);
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`${opts.what ?? 'wait'}: timed out after ${opts.timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Waits until host:port accepts TCP connections. */
export async function waitForPort(host: string, port: number, opts: WaitOptions): Promise<void> {
  await waitFor(async () => ((await portAcceptsConnections(host, port)) ? true : undefined), {
    ...opts,
    what: opts.what ?? `waiting for ${host}:${port}`,
  });
}
