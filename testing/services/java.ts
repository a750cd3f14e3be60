import path from 'node:path';
import { run } from './run-command.js';

export interface JavaInfo {
  /** Path (or bare command) of the java executable. */
  java: string;
  /** First line of `java -version`. */
  version: string;
  /** Major version, e.g. 17. */
  major: number;
}

/** Finds Java: `$JAVA_HOME/bin/java`, else `java` on PATH. Null when neither runs. */
export async function findJava(): Promise<JavaInfo | null> {
  const candidates = [process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : null, 'java'];
  for (const java of candidates) {
    if (java === null) continue;
    const r = await run(java, ['-version'], 30_000);
    if (r.status !== 0) continue;
    const text = `${r.stderr}${r.stdout}`;
    const version = text.split('\n')[0]?.trim() ?? '';
    const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
    const first = Number(m?.[1] ?? NaN);
    const major = first === 1 ? Number(m?.[2] ?? NaN) : first;
    return { java, version, major };
  }
  return null;
}
