/**
 * dbt's version ranges for hub packages, as dbt_common/semver.py computes them (dbt-core 1.10):
 * a version string `[matcher]MAJOR.MINOR.PATCH[-pre][+build]` (matcher `>=`, `>`, `<`, `<=`,
 * `=`; none is exact), the ranges of every requirer reduced to one (`reduce_versions`, an error
 * when they do not overlap), the highest available version in it picked, prereleases left out
 * unless asked for.
 */
export type Matcher = '>' | '>=' | '<' | '<=' | '=';

export interface Spec {
  matcher: Matcher;
  major: string;
  minor: string;
  patch: string;
  prerelease?: string;
  build?: string;
  unbounded?: boolean;
}

export class VersionsNotCompatible extends Error {}
export class SemverError extends Error {}

const NUM = '(0|[1-9]\\d*)';
const ALNUM_NZ = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)';
const ALPHA = '[0-9A-Za-z-]*';
const VERSION = new RegExp(`^(?<matcher>>=|>|<|<=|=)?(?<major>${NUM})\\.(?<minor>${NUM})\\.(?<patch>${NUM})(-?(?<prerelease>${ALNUM_NZ}(\\.${ALNUM_NZ})*))?(\\+(?<build>${ALPHA}(\\.${ALPHA})*))?$`);

const UNBOUNDED: Spec = { matcher: '=', major: '', minor: '', patch: '', unbounded: true };

export function parseVersion(s: string): Spec {
  const m = VERSION.exec(s);
  if (!m) throw new SemverError(`"${s}" is not a valid semantic version.`);
  const g = m.groups!;
  return { matcher: (g.matcher as Matcher | undefined) ?? '=', major: g.major!, minor: g.minor!, patch: g.patch!, prerelease: g.prerelease || undefined, build: g.build || undefined };
}

/** str() of a VersionSpecifier: the matcher (`=` for exact) and the version. */
export function versionString(v: Spec, skipMatcher = false): string {
  if (v.unbounded) return '*';
  return `${skipMatcher ? '' : v.matcher}${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}${v.build ? `+${v.build}` : ''}`;
}

const cmp = (a: string | number, b: string | number): number => (a > b ? 1 : a < b ? -1 : 0);
const isLower = (v: Spec) => !v.unbounded && (v.matcher === '>' || v.matcher === '>=');
const isUpper = (v: Spec) => !v.unbounded && (v.matcher === '<' || v.matcher === '<=');
const isExact = (v: Spec) => !v.unbounded && v.matcher === '=';

function natCmp(a: string, b: string): number {
  const parts = (s: string) => s.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const ap = parts(a);
  const bp = parts(b);
  for (let i = 0; i < Math.min(ap.length, bp.length); i++) {
    const x = ap[i]!;
    const y = bp[i]!;
    const r = typeof x === 'number' && typeof y === 'number' ? cmp(x, y) : typeof x === 'number' ? -1 : typeof y === 'number' ? 1 : cmp(x, y);
    if (r !== 0) return r;
  }
  return cmp(a.length, b.length);
}

/** VersionSpecifier.compare. */
export function compare(a: Spec, b: Spec): number {
  if (a.unbounded || b.unbounded) return 0;
  for (const key of ['major', 'minor', 'patch'] as const) {
    const x = Number(a[key]);
    const y = Number(b[key]);
    if (x > y) return 1;
    if (x < y) return -1;
  }
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa != null || pb != null) {
    if (pa == null) return a.matcher === '<' ? -1 : 1;
    if (pb == null) return -1;
    const r = natCmp(pa, pb);
    if (r !== 0) return r;
  }
  if ((a.matcher === '>=' && b.matcher === '<=') || (a.matcher === '<=' && b.matcher === '>=')) return 0;
  if ((a.matcher === '<' && b.matcher === '<=') || (b.matcher === '>' && a.matcher === '>=') || (isUpper(a) && isLower(b))) return -1;
  if ((b.matcher === '<' && a.matcher === '<=') || (a.matcher === '>' && b.matcher === '>=') || (isLower(a) && isUpper(b))) return 1;
  return 0;
}

export interface Range {
  start: Spec;
  end: Spec;
}

function toRange(v: Spec): Range {
  if (isExact(v)) return { start: v, end: v };
  if (isLower(v)) return { start: v, end: UNBOUNDED };
  if (isUpper(v)) return { start: UNBOUNDED, end: v };
  return { start: UNBOUNDED, end: UNBOUNDED };
}

function combineLowerWithExact(lower: Spec, exact: Spec): Spec {
  const c = compare(lower, exact);
  if (c < 0 || (c === 0 && lower.matcher === '>=')) return exact;
  throw new VersionsNotCompatible();
}
function combineUpperWithExact(upper: Spec, exact: Spec): Spec {
  const c = compare(upper, exact);
  if (c > 0 || (c === 0 && upper.matcher === '<=')) return exact;
  throw new VersionsNotCompatible();
}
function combineLower(a: Spec, b: Spec): Spec {
  if (b.unbounded) return a;
  if (a.unbounded) return b;
  if (!(isExact(a) || isExact(b))) return compare(a, b) < 0 ? b : a;
  return isExact(a) ? combineLowerWithExact(b, a) : combineLowerWithExact(a, b);
}
function combineUpper(a: Spec, b: Spec): Spec {
  if (b.unbounded) return a;
  if (a.unbounded) return b;
  if (!(isExact(a) || isExact(b))) return compare(a, b) > 0 ? b : a;
  return isExact(a) ? combineUpperWithExact(b, a) : combineUpperWithExact(a, b);
}

function reduceRange(r: Range, o: Range): Range {
  let start: Spec;
  let end: Spec;
  if (isExact(r.start) && isExact(o.start)) {
    if (compare(r.start, o.start) !== 0) throw new VersionsNotCompatible();
    start = end = r.start;
  } else {
    start = combineLower(r.start, o.start);
    end = combineUpper(r.end, o.end);
  }
  if (compare(start, end) > 0) throw new VersionsNotCompatible();
  return { start, end };
}

/** Python's repr of a list of strings, as dbt's messages print the options. */
const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/** reduce_versions: one range from every requirer's versions, or VersionsNotCompatible with dbt's message. */
export function reduceVersions(versions: Spec[]): Range {
  const list = versions.filter((v) => !v.unbounded);
  if (!list.length) return { start: UNBOUNDED, end: UNBOUNDED };
  try {
    const last = list[list.length - 1]!;
    let r = toRange(last);
    for (const v of list.slice(0, -1)) r = reduceRange(r, toRange(v));
    return r;
  } catch (e) {
    if (!(e instanceof VersionsNotCompatible)) throw e;
    throw new VersionsNotCompatible(`Could not find a satisfactory version from options: ${pyList(versions.map((v) => versionString(v)))}`);
  }
}

/** str(VersionRange). */
export function rangeString(r: Range): string {
  if (r.start.unbounded && r.end.unbounded) return 'ANY';
  return [r.start, r.end].filter((v) => !v.unbounded).map((v) => versionString(v)).join(', ');
}

function compatible(...vs: (Spec | Range)[]): boolean {
  const flat: Spec[] = [];
  for (const v of vs) {
    if ('start' in v) flat.push(v.start, v.end);
    else flat.push(v);
  }
  if (vs.length === 1) return true;
  try {
    reduceVersions(flat);
    return true;
  } catch (e) {
    if (e instanceof VersionsNotCompatible) return false;
    throw e;
  }
}

/** versions_compatible(dbt_version, *require_dbt_version). */
export function versionsCompatible(version: string, ...required: string[]): boolean {
  return compatible(parseVersion(version), ...required.map(parseVersion));
}

/** resolve_to_specific_version: the highest available version inside the range. */
export function resolveToSpecificVersion(r: Range, available: string[]): string | undefined {
  let max: Spec | undefined;
  let maxString: string | undefined;
  for (const s of available) {
    const v = parseVersion(s);
    if (compatible(v, r.start, r.end) && (max === undefined || compare(max, v) < 0)) {
      max = v;
      maxString = s;
    }
  }
  return maxString;
}

/** filter_installable: the versions sorted, prereleases only when asked for. */
export function filterInstallable(versions: string[], installPrerelease: boolean): string[] {
  const kept = versions.map((s) => ({ s, v: parseVersion(s) })).filter((x) => installPrerelease || !x.v.prerelease);
  // Python's sorted() with __lt__: a stable sort on compare()
  return kept.sort((a, b) => compare(a.v, b.v)).map((x) => x.s);
}
