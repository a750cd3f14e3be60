/**
 * Names of refable nodes (models, seeds, snapshots) or of source tables across the root project
 * and its installed packages, looked up as dbt-core 1.10 does (manifest.py `_packages_to_search`):
 * with a package named (`ref('pkg', 'm')`) only that package; from a root node the root project,
 * then any package; from a package's node the root project, then that package, then any.
 */
export class NameIndex {
  /** name → id: the root project's node, else the first package's. */
  readonly plain = new Map<string, string>();
  private readonly qualified = new Map<string, string>();

  constructor(readonly root: string) {}

  /** Register `name` of package `pkg` (the root project's name for its own nodes). False when the package has it already. */
  set(pkg: string, name: string, id: string): boolean {
    const k = `${pkg}\u0000${name}`;
    if (this.qualified.has(k)) return false;
    this.qualified.set(k, id);
    if (pkg === this.root || !this.plain.has(name)) this.plain.set(name, id);
    return true;
  }

  /** The id of `pkg`'s node `name`, if any. */
  inPackage(pkg: string, name: string): string | undefined {
    return this.qualified.get(`${pkg}\u0000${name}`);
  }

  /** Resolve `name` from a node of package `nodePkg` (undefined: the root project), `explicit` when the call names one. */
  find(name: string, nodePkg?: string, explicit?: string): string | undefined {
    if (explicit) return this.inPackage(explicit, name);
    if (!nodePkg || nodePkg === this.root) return this.plain.get(name);
    return this.inPackage(this.root, name) ?? this.inPackage(nodePkg, name) ?? this.plain.get(name);
  }

  /** Forget a name (its node failed to render). */
  delete(name: string): void {
    const id = this.plain.get(name);
    this.plain.delete(name);
    for (const [k, v] of this.qualified) if (v === id) this.qualified.delete(k);
  }
}

/**
 * What a `ref(...)` call names, from its positional and keyword arguments: the model (with
 * `.v<version>` when `v=`/`version=` is given, the key a model version is registered under) and
 * the package when two names are given.
 */
export function refTarget(pos: unknown[], kw: Record<string, unknown>): { key: string; pkg?: string } {
  const name = String(pos.length > 1 ? pos[1] : pos[0] ?? kw.name);
  const v = kw.v ?? kw.version;
  return { key: v == null ? name : versionKey(name, String(v)), pkg: pos.length > 1 ? String(pos[0]) : undefined };
}

/** The key of version `v` of model `name`. */
export const versionKey = (name: string, v: string): string => `${name}.v${v}`;
