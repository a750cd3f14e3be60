/**
 * Provisioning of the Python-based test services into txCacheDir() (outside the repo):
 *   spark/  python venv with pyspark 3.5 (its wheel carries Spark, Hive and the Thrift server jars)
 *   moto/   python venv with moto[server] (the S3-compatible server used by the S3 tests)
 * Idempotent and fast when cached. Imports only node builtins and sibling files, so .ci/provision
 * can compile and run it on its own:  node <compiled>/provision.js [spark] [moto]
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureVenv, type Venv } from './python-venv.js';

export const PYSPARK_REQUIREMENT = 'pyspark==3.5.*';
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

export interface SparkInstall {
  venv: Venv;
  /** SPARK_HOME: the pyspark package folder (has bin/spark-submit and jars/). */
  sparkHome: string;
  sparkSubmit: string;
  pysparkVersion: string;
}

export interface MotoInstall {
  venv: Venv;
  motoServer: string;
  motoVersion: string;
}

/** Ensures ~/.cache/tx/spark holds pyspark 3.5; ~1-2 min the first time, ~0.1 s after. */
export async function provisionSpark(): Promise<SparkInstall> {
  const venv = await ensureVenv({
    name: 'spark',
    requirements: [PYSPARK_REQUIREMENT],
    description: `${PYSPARK_REQUIREMENT} for the Spark Thrift Server (a ~317 MB sdist, built into a wheel)`,
    probe: [
      'import json, os, pyspark',
      'home = os.path.dirname(pyspark.__file__)',
      'jars = os.listdir(os.path.join(home, "jars"))',
      'assert any(j.startswith("spark-hive-thriftserver") for j in jars), "no thriftserver jar"',
      'print(json.dumps({"sparkHome": home, "version": pyspark.__version__}))',
    ].join('\n'),
  });
  const sparkHome = String(venv.info.sparkHome);
  const sparkSubmit = path.join(sparkHome, 'bin', 'spark-submit');
  if (!fs.existsSync(sparkSubmit)) throw new Error(`pyspark venv has no ${sparkSubmit}`);
  return { venv, sparkHome, sparkSubmit, pysparkVersion: String(venv.info.version) };
}

/** Ensures ~/.cache/tx/moto holds moto[server]; ~1 min the first time, ~1 s after. */
export async function provisionMoto(): Promise<MotoInstall> {
  const venv = await ensureVenv({
    name: 'moto',
    requirements: [MOTO_REQUIREMENT],
    description: `${MOTO_REQUIREMENT} (S3-compatible server for tests)`,
    probe: 'import json, moto, moto.server\nprint(json.dumps({"version": moto.__version__}))',
  });
  const motoServer = path.join(venv.dir, 'bin', 'moto_server');
  if (!fs.existsSync(motoServer)) throw new Error(`moto venv has no ${motoServer}`);
  return { venv, motoServer, motoVersion: String(venv.info.version) };
}

async function main(argv: string[]): Promise<void> {
  const what = argv.length > 0 ? argv : ['spark', 'moto'];
  for (const w of what) {
    const t0 = Date.now();
    if (w === 'spark') {
      const s = await provisionSpark();
      console.log(`[tx services] spark: pyspark ${s.pysparkVersion} at ${s.sparkHome} (${s.venv.installed ? 'installed' : 'cached'}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } else if (w === 'moto') {
      const m = await provisionMoto();
      console.log(`[tx services] moto: ${m.motoVersion} at ${m.venv.dir} (${m.venv.installed ? 'installed' : 'cached'}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } else {
      throw new Error(`unknown thing to provision: ${w} (expected spark, moto)`);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
