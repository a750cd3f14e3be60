/**
 * tx's port of dbt_common's semver (hub package version ranges) against dbt_common itself, run in
 * the cached dbt-core 1.10 venv: reduce_versions (or its error message), the version picked from
 * the installable ones, and filter_installable, for ranges, exact pins, prereleases and conflicts.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbtCoreVenv, noPythonFor } from '../../testing/dbt-reference.js';
import { filterInstallable, parseVersion, rangeString, reduceVersions, resolveToSpecificVersion, VersionsNotCompatible } from './dbt-semver.js';

const noPython = await noPythonFor('dbt-core 1.10');

const available = ['0.9.0', '1.0.0', '1.0.1', '1.1.0-rc1', '1.1.0', '1.10.0', '2.0.0-b1', '2.0.0', '2.0.0-b2', '10.0.0'];
const cases: string[][] = [
  ['>=1.0.0', '<2.0.0'],
  ['>=1.0.0', '<2.0.0', '>=1.0.1', '<1.10.0'],
  ['1.0.1'],
  ['=1.0.1', '>=1.0.0'],
  ['>=2.0.0', '>=1.0.0', '<2.0.0'],
  ['1.0.0', '1.0.1'],
  ['>1.0.0', '<=1.1.0'],
  ['<2.0.0'],
  ['>=2.0.0-b1'],
  ['>=1.1.0-rc1', '<1.1.0'],
  [],
];

function tx(versions: string[], prerelease: boolean): unknown {
  try {
    const r = reduceVersions(versions.map(parseVersion));
    const installable = filterInstallable(available, prerelease);
    return { range: rangeString(r), pick: resolveToSpecificVersion(r, installable) ?? null, installable };
  } catch (e) {
    if (e instanceof VersionsNotCompatible) return { error: e.message };
    throw e;
  }
}

describe.skipIf(noPython)("hub version ranges: tx against dbt_common's semver", () => {
  const venv = dbtCoreVenv();

  it('reduces, picks and filters as dbt does', () => {
    const script = `
import json, sys
from dbt_common import semver
from dbt_common.exceptions import VersionsNotCompatibleError
available, cases = json.loads(sys.argv[1])
out = []
for versions, pre in cases:
    try:
        r = semver.reduce_versions(*[semver.VersionSpecifier.from_version_string(v) for v in versions])
        inst = semver.filter_installable(available, pre)
        out.append({"range": str(r), "pick": semver.resolve_to_specific_version(r, inst), "installable": inst})
    except VersionsNotCompatibleError as e:
        out.append({"error": str(e)})
print(json.dumps(out))
`;
    const all = cases.flatMap((c) => [[c, false], [c, true]] as [string[], boolean][]);
    const dbt = JSON.parse(execFileSync(join(venv().dir, 'bin', 'python'), ['-c', script, JSON.stringify([available, all])], { encoding: 'utf8' })) as unknown[];
    expect(all.map(([c, pre]) => tx(c, pre))).toEqual(dbt);
  });
});
