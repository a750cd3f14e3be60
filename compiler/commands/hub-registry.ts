/**
 * Hub packages (`package: dbt-labs/dbt_utils`, `version:`), resolved as dbt-core 1.10 resolves
 * them (dbt/deps/registry.py, dbt/clients/registry.py): the registry is `DBT_PACKAGE_HUB_URL`
 * (else https://hub.getdbt.com/), `api/v1/index.json` lists its packages, `api/v1/<package>.json`
 * its versions, each with `name`, `packages` (its own packages) and `downloads.tarball`. The
 * versions every requirer asks for are reduced to one range (dbt_common's semver, dbt-semver.ts);
 * the highest installable version in it wins (prereleases only with `install-prerelease: true`
 * or a prerelease asked for), among versions whose `require_dbt_version` accepts dbt 1.10.
 */
import { TxError } from '../errors.js';
import { DBT_COMPATIBLE } from '../load/dbt-project.js';
import { filterInstallable, parseVersion, rangeString, reduceVersions, resolveToSpecificVersion, SemverError, versionsCompatible, VersionsNotCompatible, type Spec } from './dbt-semver.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What one version of a hub package says of itself. */
export interface HubVersion {
  /** The package's project name (its install folder and lock `name`). */
  name: string;
  packages: Obj[];
  tarball: string;
}

export function hubBaseUrl(): string {
  return process.env.DBT_PACKAGE_HUB_URL || 'https://hub.getdbt.com/';
}

/** One requirer of a hub package: the versions it asks for and where. */
interface Requirement {
  versions: Spec[];
  where: string;
}

export class HubRegistry {
  private index: Promise<string[]> | undefined;
  private readonly packages = new Map<string, Promise<Record<string, Obj>>>();
  constructor(private readonly base = hubBaseUrl()) {}

  private async getJson(what: string, pkg: string, where: string, file: string, line: number | undefined): Promise<unknown> {
    const url = `${this.base}api/v1/${what}.json`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      return await res.json();
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new TxError('PROJECT', `cannot install hub package \`${pkg}\` (${where}): cannot reach the dbt package hub at ${url}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`, {
        file,
        line,
        hint: 'set DBT_PACKAGE_HUB_URL to a reachable hub; without network access, vendor the package: put its files in a folder (e.g. vendor/<name>) and write `- local: vendor/<name>` instead, or copy the dbt_packages/ that `dbt deps` wrote elsewhere',
      });
    }
  }

  async versions(pkg: string, where: string, file: string, line?: number): Promise<Record<string, Obj>> {
    this.index ??= this.getJson('index', pkg, where, file, line).then((v) => {
      if (!Array.isArray(v)) throw new TxError('PROJECT', `the package hub's index (${this.base}api/v1/index.json) is not a list`, { file, line });
      return v.map(String);
    });
    if (!(await this.index).includes(pkg)) {
      throw new TxError('PROJECT', `Package ${pkg} was not found in the package index (${this.base}) (${where})`, { file, line, hint: 'check the package name (namespace/name, as hub.getdbt.com lists it)' });
    }
    let p = this.packages.get(pkg);
    if (!p) {
      p = this.getJson(pkg, pkg, where, file, line).then((v) => {
        if (!isObj(v) || !isObj(v.versions)) throw new TxError('PROJECT', `the package hub's answer for ${pkg} has no \`versions\``, { file, line });
        return v.versions as Record<string, Obj>;
      });
      this.packages.set(pkg, p);
    }
    return p;
  }
}

/** A hub package as the resolver accumulates it across every packages.yml that names it. */
export class HubPackage {
  readonly requirements: Requirement[] = [];
  installPrerelease = false;
  constructor(readonly pkg: string, readonly file: string, readonly line: number | undefined) {}

  /** Add one entry naming this package (dbt's incorporate()). */
  add(raw: Obj, where: string, file: string, line: number | undefined): void {
    const list = Array.isArray(raw.version) ? raw.version : raw.version == null ? [] : [raw.version];
    let versions: Spec[];
    try {
      versions = list.map((v) => parseVersion(String(v)));
    } catch (e) {
      if (e instanceof SemverError) throw new TxError('PROJECT', `hub package \`${this.pkg}\` (${where}): ${e.message}`, { file, line, hint: 'versions are MAJOR.MINOR.PATCH, optionally with >=, >, <, <= or =' });
      throw e;
    }
    if (!this.requirements.length) this.installPrerelease = raw['install-prerelease'] === true || raw.install_prerelease === true;
    this.requirements.push({ versions, where });
  }

  /** The version to install (dbt's RegistryUnpinnedPackage.resolved()) and what it says of itself. */
  async resolve(registry: HubRegistry): Promise<{ version: string; meta: HubVersion }> {
    const all = this.requirements.flatMap((r) => r.versions);
    const first = this.requirements[0]!;
    const available = await registry.versions(this.pkg, first.where, this.file, this.line);
    let range;
    try {
      range = reduceVersions(all);
    } catch (e) {
      if (!(e instanceof VersionsNotCompatible)) throw e;
      const who = this.requirements.map((r) => `${r.where} asks for ${r.versions.length ? r.versions.map((v) => JSON.stringify(`${v.matcher === '=' ? '' : v.matcher}${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}`)).join(', ') : 'any version'}`);
      throw new TxError('PROJECT', `Version error for package ${this.pkg}: ${e.message}; no version satisfies every package that requires it: ${who.join('; ')}`, {
        file: this.file,
        line: this.line,
        hint: 'widen one of the version ranges so they overlap (nothing was installed)',
      });
    }
    const dbtVersion = `${DBT_COMPATIBLE.major}.${DBT_COMPATIBLE.minor}.0`;
    const compatibleVersions = Object.keys(available).filter((v) => {
      const req = available[v]!.require_dbt_version;
      if (!req || (Array.isArray(req) && !req.length)) return true;
      return versionsCompatible(dbtVersion, ...(Array.isArray(req) ? req : [req]).map(String));
    });
    const installable = filterInstallable(compatibleVersions, this.installPrerelease || all.some((v) => !!v.prerelease));
    const target = installable.length ? resolveToSpecificVersion(range, installable) : undefined;
    if (!target) {
      throw new TxError('PROJECT', `Could not find a matching compatible version for package ${this.pkg}: requested range ${rangeString(range)}, compatible versions [${installable.join(', ')}] (versions whose require_dbt_version excludes dbt ${DBT_COMPATIBLE.major}.${DBT_COMPATIBLE.minor} not shown)`, {
        file: this.file,
        line: this.line,
      });
    }
    const v = available[target]!;
    const downloads = v.downloads;
    if (typeof v.name !== 'string' || !isObj(downloads) || typeof downloads.tarball !== 'string') {
      throw new TxError('PROJECT', `the package hub's answer for ${this.pkg} ${target} lacks \`name\` or \`downloads.tarball\``, { file: this.file, line: this.line });
    }
    return { version: target, meta: { name: v.name, packages: Array.isArray(v.packages) ? v.packages.filter(isObj) : [], tarball: downloads.tarball } };
  }
}
