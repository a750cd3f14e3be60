/**
 * `tx deps`: install the packages of packages.yml / dependencies.yml into dbt_packages/, as
 * `dbt deps` does. `local:` packages are linked (a copy where links are not possible), `git:`
 * packages are cloned (any URL git reaches, a local bare repository included; `revision`,
 * `subdirectory`), `tarball:` packages downloaded (http/https) and unpacked under their `name:`,
 * their own packages installed too. Hub packages (`package: dbt-labs/dbt_utils`) are resolved
 * through the registry (hub-registry.ts: ranges of every requirer intersected) and downloaded
 * once every requirer is known; an unreachable hub is an error saying how to vendor the package.
 * package-lock.yml is written and honoured as dbt does (package-lock.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { TxError } from '../errors.js';
import { findProjectDir } from '../load/load-project.js';
import { packageNameIn, packagesInstallPath, packageValueRenderer, readPackageSpecs, type PackageRenderOptions, type PackageSpec } from '../load/packages.js';
import { HubPackage, HubRegistry } from './hub-registry.js';
import { PACKAGE_LOCK_FILE, lockText, packagesHash, readLock, type LockEntry } from './package-lock.js';

export interface DepsResult {
  installed: { name: string; from: string; how: 'linked' | 'copied' | 'cloned' | 'downloaded' }[];
}

/** Install every package (and their packages) of the project in `projectDir`, from package-lock.yml when it matches packages.yml. */
export async function installDeps(projectDirOrNone: string | undefined, log: (line: string) => void = () => {}, opts: PackageRenderOptions = {}): Promise<DepsResult> {
  const projectDir = findProjectDir(projectDirOrNone);
  const raw = (parse(readFileSync(join(projectDir, 'dbt_project.yml'), 'utf8')) ?? {}) as Record<string, unknown>;
  const rootName = String(raw.name ?? '');
  const installDir = packagesInstallPath(projectDir, raw);
  const specs = readPackageSpecs(projectDir, '', { ...opts, refuseDependenciesTemplates: true });
  const result: DepsResult = { installed: [] };
  if (!specs.length) {
    log('no packages to install (no packages.yml or dependencies.yml with packages:)');
    return result;
  }
  const hash = packagesHash(projectDir, opts);
  const renderLock = packageValueRenderer(opts);
  const lock = readLock(projectDir);
  // resolve every package first (names, cycles, duplicates); install only when all resolve
  const staging = mkdtempSync(join(tmpdir(), 'tx-deps-'));
  try {
    const plan = new Map<string, Planned>();
    const registry = new HubRegistry();
    const hubs = new Map<string, { hp: HubPackage; name: string }>();
    if (lock && lock.hash === hash) {
      // package-lock.yml matches packages.yml: install exactly what it pins, as dbt does
      log(`installing the packages pinned in ${PACKAGE_LOCK_FILE}`);
      for (const [i, entry] of lock.packages.entries()) {
        const spec = lockSpec(entry, i, renderLock);
        const where = `${PACKAGE_LOCK_FILE}, entry ${i + 1}`;
        if (spec.kind === 'hub') {
          const hp = new HubPackage(spec.source, spec.file, spec.line);
          hp.add(spec.raw, where, spec.file, spec.line);
          const { version, meta } = await hp.resolve(registry);
          const dir = await downloadAndUntar(meta.tarball, meta.name, spec, staging, where);
          if (!plan.has(meta.name)) plan.set(meta.name, { dir, from: `${spec.source}@${version}`, how: 'downloaded', spec, version });
          continue;
        }
        const fetched = await fetchPackage(spec, projectDir, staging, where);
        const name = installName(spec, fetched);
        if (!plan.has(name)) plan.set(name, { ...fetched, spec });
      }
    } else {
      if (lock) log(`${PACKAGE_LOCK_FILE} was written for other packages than ${specs[0]!.file} lists: resolving them again`);
      // breadth first, as dbt resolves: the project's packages, then theirs
      let pending: { baseDir: string; specs: PackageSpec[]; chain: string[]; displayBase: string }[] = [{ baseDir: projectDir, specs, chain: rootName ? [rootName] : [], displayBase: '' }];
      while (pending.length) {
        const next: typeof pending = [];
        for (const { baseDir, specs: list, chain, displayBase } of pending) {
          for (const spec of list) {
            const where = `${displayBase ? `${displayBase}/` : ''}${spec.file}${spec.line ? `:${spec.line}` : ''}`;
            if (spec.kind === 'hub') {
              // hub packages: every requirer's versions are gathered; the version is settled once all are known
              const known = hubs.get(spec.source);
              const hp = known?.hp ?? new HubPackage(spec.source, spec.file, spec.line);
              hp.add(spec.raw, where, spec.file, spec.line);
              const { version, meta } = await hp.resolve(registry);
              const name = meta.name;
              if (name === rootName || chain.includes(name)) {
                throw new TxError('PROJECT', `package \`${name}\` depends on itself: ${[...chain, name].join(' → ')}`, { file: spec.file, line: spec.line, hint: 'remove the entry that closes the cycle' });
              }
              if (known) {
                // as dbt: each time a package is named, the packages of the version resolved so far are gathered again
                next.push({ baseDir: staging, specs: hubSpecs(meta.packages, `${spec.source}@${version}`), chain: [...chain, name], displayBase: '' });
                continue;
              }
              const prev = plan.get(name);
              if (prev) throw new TxError('DUPLICATE', `two packages are named \`${name}\`: ${prev.from} and ${spec.source}`, { file: spec.file, line: spec.line, hint: 'keep one of them in packages.yml' });
              hubs.set(spec.source, { hp, name });
              plan.set(name, { dir: '', from: spec.source, how: 'downloaded', spec, version });
              const display = `${spec.source}@${version}`;
              next.push({ baseDir: staging, specs: hubSpecs(meta.packages, display), chain: [...chain, name], displayBase: '' });
              continue;
            }
            const fetched = await fetchPackage(spec, baseDir, staging, where);
            const name = installName(spec, fetched);
            if (name === rootName || chain.includes(name)) {
              throw new TxError('PROJECT', `package \`${name}\` depends on itself: ${[...chain, name].join(' → ')}`, { file: spec.file, line: spec.line, hint: 'remove the entry that closes the cycle' });
            }
            const prev = plan.get(name);
            if (prev) {
              if (resolve(prev.dir) !== resolve(fetched.dir) && prev.from !== fetched.from) {
                throw new TxError('DUPLICATE', `two packages are named \`${name}\`: ${prev.from} and ${fetched.from}`, { file: spec.file, line: spec.line, hint: 'keep one of them in packages.yml' });
              }
              continue;
            }
            plan.set(name, { ...fetched, spec });
            next.push({ baseDir: fetched.dir, specs: readPackageSpecs(fetched.dir, fetched.from, opts), chain: [...chain, name], displayBase: fetched.from });
          }
        }
        pending = next;
      }
      // every requirer known: each hub package's version settled (a conflict stops here, nothing installed) and downloaded
      for (const { hp, name } of hubs.values()) {
        const { version, meta } = await hp.resolve(registry);
        const p = plan.get(name)!;
        p.version = version;
        p.from = `${hp.pkg}@${version}`;
        p.dir = await downloadAndUntar(meta.tarball, name, p.spec, staging, p.from);
      }
      const entries = [...plan].map(([name, p]) => lockEntry(name, p));
      writeFileAtomic(join(projectDir, PACKAGE_LOCK_FILE), lockText(entries, hash));
      log(`wrote ${PACKAGE_LOCK_FILE}`);
    }

    // as dbt: the install folder holds exactly the packages installed now (a stale one would still load)
    rmSync(installDir, { recursive: true, force: true });
    mkdirSync(installDir, { recursive: true });
    for (const [name, p] of plan) {
      const dest = join(installDir, name);
      if (p.how === 'linked') {
        try {
          symlinkSync(resolve(p.dir), dest, 'dir');
        } catch {
          cpSync(p.dir, dest, { recursive: true });
          p.how = 'copied';
        }
      } else {
        renameOrCopy(p.dir, dest);
      }
      result.installed.push({ name, from: p.from, how: p.how });
      log(`installed ${name} (${p.how} from ${p.from})`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return result;
}

interface Fetched {
  dir: string;
  from: string;
  how: 'linked' | 'copied' | 'cloned' | 'downloaded';
  /** git packages: the commit checked out. */
  commit?: string;
  /** hub packages: the version resolved. */
  version?: string;
}
type Planned = Fetched & { spec: PackageSpec };

/** The folder name a package installs under: a tarball's `name:` (dbt's TarballPinnedPackage), else its dbt_project.yml name. */
function installName(spec: PackageSpec, fetched: Fetched): string {
  if (spec.kind === 'tarball') return String(spec.raw.name);
  return packageNameIn(fetched.dir, fetched.from);
}

/** A resolved package as package-lock.yml pins it (dbt's pinned package to_dict() and its name). */
function lockEntry(name: string, p: Planned): LockEntry {
  const e = new Map<string, unknown>();
  switch (p.spec.kind) {
    case 'local':
      e.set('local', p.spec.source);
      break;
    case 'git':
      // as dbt's GitPinnedPackage.to_dict(): the URL as written (a token read by env_var() stays a template)
      e.set('git', String(p.spec.unrendered?.git ?? p.spec.source));
      e.set('revision', p.commit ?? (p.spec.raw.revision == null ? 'HEAD' : String(p.spec.raw.revision)));
      if (p.spec.raw.subdirectory) e.set('subdirectory', String(p.spec.raw.subdirectory));
      break;
    case 'hub':
      e.set('package', p.spec.source);
      e.set('version', p.version ?? p.spec.raw.version);
      break;
    case 'tarball':
      e.set('tarball', String(p.spec.unrendered?.tarball ?? p.spec.source));
      break;
  }
  e.set('name', name);
  return e;
}

/** An entry of package-lock.yml as the spec to fetch (rendered, as dbt renders the lock before installing from it). */
function lockSpec(entry: LockEntry, i: number, render: (v: unknown, where: string) => unknown): PackageSpec {
  const unrendered = Object.fromEntries([...entry].map(([k, v]) => [k, v === null || typeof v !== 'object' ? v : String(v)]));
  const raw = render(unrendered, `${PACKAGE_LOCK_FILE} (packages[${i}])`) as Record<string, unknown>;
  for (const kind of ['local', 'git', 'tarball'] as const) if (typeof raw[kind] === 'string') return { kind, source: raw[kind] as string, raw, unrendered, file: PACKAGE_LOCK_FILE };
  if (typeof raw.package === 'string') return { kind: 'hub', source: raw.package, raw, unrendered, file: PACKAGE_LOCK_FILE };
  throw new TxError('PROJECT', `entry ${i + 1} of \`packages:\` in ${PACKAGE_LOCK_FILE} names no package (local:, git:, package: or tarball:)`, {
    file: PACKAGE_LOCK_FILE,
    hint: `delete ${PACKAGE_LOCK_FILE} and run tx deps to write it again`,
  });
}

function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    cpSync(from, to, { recursive: true });
  }
}

/** Bring one package to a folder: local ones as they are, git ones cloned and tarballs unpacked into the staging folder. */
async function fetchPackage(spec: PackageSpec, baseDir: string, staging: string, where: string): Promise<Fetched> {
  switch (spec.kind) {
    case 'local': {
      const dir = resolve(baseDir, spec.source);
      if (!existsSync(dir)) {
        throw new TxError('PROJECT', `local package \`${spec.source}\` (${where}) does not exist: no folder ${dir}`, { file: spec.file, line: spec.line, hint: 'local: is a path relative to the project folder' });
      }
      return { dir, from: spec.source, how: 'linked' };
    }
    case 'git': {
      const dest = mkdtempSync(join(staging, 'git-'));
      const revision = spec.raw.revision == null ? undefined : String(spec.raw.revision);
      const url = /^(\.{1,2}\/|\/)/.test(spec.source) ? resolve(baseDir, spec.source) : spec.source;
      try {
        execFileSync('git', ['clone', '--quiet', url, dest], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, timeout: 120_000 });
        if (revision) execFileSync('git', ['-C', dest, 'checkout', '--quiet', revision], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        const stderr = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').slice(-2).join(' ');
        throw new TxError('PROJECT', `cannot install git package ${spec.source}${revision ? ` (revision ${revision})` : ''} (${where}): ${stderr}`, {
          file: spec.file,
          line: spec.line,
          hint: 'check the URL and revision; without network access, vendor the package: copy it into a folder and use `local: <folder>`',
        });
      }
      const sub = spec.raw.subdirectory == null ? '' : String(spec.raw.subdirectory);
      const dir = sub ? join(dest, sub) : dest;
      if (!existsSync(join(dir, 'dbt_project.yml'))) {
        throw new TxError('PROJECT', `git package ${spec.source}${sub ? ` (subdirectory ${sub})` : ''} holds no dbt_project.yml`, { file: spec.file, line: spec.line });
      }
      const commit = execFileSync('git', ['-C', dest, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      rmSync(join(dest, '.git'), { recursive: true, force: true });
      return { dir, from: `${spec.source}${revision ? `@${revision}` : ''}`, how: 'cloned', commit };
    }
    case 'tarball':
      return fetchTarball(spec, staging, where);
    case 'hub': {
      const what = `hub package \`${spec.source}\`${spec.raw.version != null ? ` (version ${JSON.stringify(spec.raw.version)})` : ''}`;
      throw new TxError('PROJECT', `cannot install ${what} (${where}): tx cannot reach the dbt package hub (hub.getdbt.com) from here`, {
        file: spec.file,
        line: spec.line,
        hint: `vendor it: put the package's files in a folder (e.g. vendor/${spec.source.split('/').pop()}) and write \`- local: vendor/${spec.source.split('/').pop()}\` instead, or install it with \`dbt deps\` where the hub is reachable and copy dbt_packages/ here (tx reads packages already installed there)`,
      });
    }
  }
}

/**
 * A `tarball:` package, as dbt-core 1.10 installs it (dbt/deps/tarball.py): `name:` is required
 * and is the folder it installs under; the archive is downloaded, unpacked, and must hold exactly
 * one top-level folder, the package.
 */
async function fetchTarball(spec: PackageSpec, staging: string, where: string): Promise<Fetched> {
  const name = spec.raw.name;
  if (typeof name !== 'string' || !name) {
    throw new TxError('PROJECT', `tarball package ${spec.source} (${where}) has no \`name:\``, { file: spec.file, line: spec.line, hint: 'a tarball entry needs the package name it installs as: `name: <package>` under `tarball:`' });
  }
  const dir = await downloadAndUntar(spec.source, name, spec, staging, where);
  return { dir, from: spec.source, how: 'downloaded' };
}

/** Download a .tar.gz and unpack it; it must hold one top-level folder (the package), as dbt requires. */
async function downloadAndUntar(url: string, name: string, spec: PackageSpec, staging: string, where: string): Promise<string> {
  const vendor = `vendor it: unpack the archive into a folder (e.g. vendor/${name}) and write \`- local: vendor/${name}\` instead`;
  let body: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new TxError('PROJECT', `cannot download tarball package \`${name}\` from ${url} (${where}): ${(e as Error).message}${cause ? ` (${cause})` : ''}`, { file: spec.file, line: spec.line, hint: `check the URL; without network access, ${vendor}` });
  }
  const dest = mkdtempSync(join(staging, 'tarball-'));
  const archive = join(dest, `${name}.tar.gz`);
  const out = join(dest, `${name}_untarred`);
  mkdirSync(out);
  writeFileSync(archive, body);
  try {
    // --no-same-owner/-permissions: as Python's tarfile data filter, never take owners from the archive
    execFileSync('tar', ['-xzf', archive, '-C', out, '--no-same-owner', '--no-same-permissions'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').slice(-2).join(' ');
    throw new TxError('PROJECT', `tarball package \`${name}\` from ${url} (${where}) is not a .tar.gz archive: ${stderr}`, { file: spec.file, line: spec.line, hint: vendor });
  }
  rmSync(archive);
  const top = readdirSync(out);
  if (top.length !== 1 || !statSync(join(out, top[0]!)).isDirectory()) {
    throw new TxError('PROJECT', `tarball package \`${name}\` from ${url} (${where}) holds ${top.length} top-level entries; dbt needs exactly one folder: ${name}/<package files>`, { file: spec.file, line: spec.line });
  }
  const dir = join(out, top[0]!);
  if (!existsSync(join(dir, 'dbt_project.yml'))) {
    throw new TxError('PROJECT', `tarball package \`${name}\` from ${url} holds no dbt_project.yml in ${top[0]}/`, { file: spec.file, line: spec.line });
  }
  return dir;
}

/** The `packages:` of a hub package's version (the registry's metadata) as specs. */
function hubSpecs(list: Record<string, unknown>[], display: string): PackageSpec[] {
  return list.map((raw) => {
    for (const kind of ['local', 'git', 'tarball'] as const) if (typeof raw[kind] === 'string') return { kind, source: raw[kind] as string, raw, file: display };
    if (typeof raw.package === 'string') return { kind: 'hub' as const, source: raw.package, raw, file: display };
    throw new TxError('PROJECT', `${display}: the hub lists a package entry naming no package (${Object.keys(raw).join(', ')})`, { file: display });
  });
}
