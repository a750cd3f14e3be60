/** Errors of the ORC reader and writer: the message names the file (and column) once known. */
export class OrcError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrcError';
  }
}

/** Prefix an error with the file (and column) it concerns, once. */
export function inFile(err: unknown, file: string, column?: string): OrcError {
  const e = err instanceof Error ? err : new Error(String(err));
  const where = column ? `${file}: column ${column}: ` : `${file}: `;
  if (e.message.startsWith(file)) return e instanceof OrcError ? e : new OrcError(e.message, { cause: e });
  const msg = (e instanceof RangeError || e instanceof TypeError) && !(e instanceof OrcError) ? `corrupt or unreadable ORC data (${e.message})` : e.message;
  return new OrcError(`${where}${msg}`, { cause: e });
}
