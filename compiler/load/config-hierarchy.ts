import { TxError, didYouMean } from '../errors.js';
import { loadSchema, validateDefinition } from './validate.js';
import type { YamlFile } from './yaml-file.js';

type Obj = Record<string, unknown>;

const CONFIG_DEF = { models: 'model_config', seeds: 'seed_config', tests: 'test_config' } as const;

let projectDefs: Record<string, { properties: Obj }> | undefined;

export function configKeys(kind: keyof typeof CONFIG_DEF): string[] {
  // the shipped schema is read once per process (it was read and parsed at every call)
  projectDefs ??= loadSchema('project').definitions as Record<string, { properties: Obj }>;
  return Object.keys(projectDefs[CONFIG_DEF[kind]]!.properties);
}

/** Normalise hook keys and `+` prefixes: `+post-hook` → `post_hook`. */
function normKey(k: string): string {
  const bare = k.startsWith('+') ? k.slice(1) : k;
  return bare === 'pre-hook' ? 'pre_hook' : bare === 'post-hook' ? 'post_hook' : bare;
}

/**
 * Check a dbt-style `models:` / `seeds:` hierarchy in project.yml. Config keys may carry `+`;
 * a key holding a map without `+` is a folder or node name that must exist. A misspelled
 * config key is an error with a suggestion (dbt ignores it and users lose data to that).
 */
export function validateHierarchy(
  kind: keyof typeof CONFIG_DEF,
  tree: Obj,
  file: YamlFile,
  projectName: string,
  knownPaths: Set<string>,
  packages: Map<string, Set<string>> = new Map(),
): void {
  const keys = new Set(configKeys(kind));
  // `models: <package>: ...` configures an installed package's nodes: checked against its own folders
  if (packages.size) {
    const rest: Obj = {};
    for (const [k, v] of Object.entries(tree)) {
      const pk = packages.get(k);
      if (pk && k !== projectName && v !== null && typeof v === 'object' && !Array.isArray(v)) validateHierarchy(kind, { [k]: v }, file, k, pk);
      else rest[k] = v;
    }
    tree = rest;
  }
  const rel = (p: string[]): string => (p[0] === projectName ? p.slice(1) : p).join('/');
  const walk = (node: Obj, path: string[]): void => {
    const cfg: Obj = {};
    for (const [k, v] of Object.entries(node)) {
      const bare = normKey(k);
      const isMap = v !== null && typeof v === 'object' && !Array.isArray(v);
      if (k.startsWith('+') || (!isMap && keys.has(bare)) || (isMap && keys.has(bare) && !knownPaths.has(rel([...path, k])))) {
        if (!keys.has(bare)) {
          throw new TxError('PROJECT', `unknown config key \`${k}\` in project.yml (${[kind, ...path].join('.')})`, {
            file: file.path,
            line: file.lineOf([kind, ...path, k]),
            hint: didYouMean(bare, keys) ?? `config keys: ${[...keys].join(', ')}`,
          });
        }
        cfg[bare] = v;
      } else if (isMap) {
        const sub = [...path, k];
        if (!(path.length === 0 && k === projectName) && !knownPaths.has(rel(sub))) {
          const hint = didYouMean(k, [...keys, ...[...knownPaths].map((p) => p.split('/').pop()!)]);
          throw new TxError('PROJECT', `\`${k}\` in project.yml (${[kind, ...path].join('.')}) is neither a config key nor a folder or ${kind.slice(0, -1)} name`, {
            file: file.path,
            line: file.lineOf([kind, ...path, k]),
            hint,
          });
        }
        walk(v as Obj, sub);
      } else {
        throw new TxError('PROJECT', `unknown config key \`${k}\` in project.yml (${[kind, ...path].join('.')})`, {
          file: file.path,
          line: file.lineOf([kind, ...path, k]),
          hint: didYouMean(bare, keys) ?? `config keys: ${[...keys].join(', ')}`,
        });
      }
    }
    validateDefinition(CONFIG_DEF[kind], cfg, file.path, file.lineOf([kind, ...path]), `project.yml ${[kind, ...path].join('.')}`);
  };
  walk(tree, []);
}

/**
 * Config for one node from the hierarchy: walk project name, then folders, then the node name,
 * deeper levels overriding. Tags accumulate, as in dbt. `strict`: the levels below the top one
 * only under the project's name (dbt's fqn_search); tx's own project.yml may start with folders.
 */
export function configFromHierarchy(tree: Obj, projectName: string, folders: string[], name: string, strict = false): Obj {
  const out: Obj = {};
  const apply = (node: Obj): void => {
    for (const [k, v] of Object.entries(node)) {
      const isMap = v !== null && typeof v === 'object' && !Array.isArray(v);
      if (isMap && !k.startsWith('+') && k !== 'meta' && k !== 'contract' && k !== 'validate' && k !== 'docs' && k !== 'tblproperties') continue;
      const bare = normKey(k);
      if (bare === 'tags') out.tags = [...((out.tags as string[]) ?? []), ...(Array.isArray(v) ? v : [v])];
      // meta is updated key by key from level to level, as dbt merges it
      else if (bare === 'meta' && isMap && out.meta !== null && typeof out.meta === 'object' && !Array.isArray(out.meta)) out.meta = { ...(out.meta as Obj), ...(v as Obj) };
      else out[bare] = v;
    }
  };
  apply(tree);
  let node: Obj | undefined = tree[projectName] as Obj | undefined;
  // A hierarchy may start with the project name (dbt style) or directly with folders.
  const levels: Obj[] = [];
  if (node && typeof node === 'object') {
    levels.push(node);
  } else node = strict ? undefined : tree;
  let cur: Obj | undefined = node;
  for (const part of [...folders.slice(1), name]) {
    const next: unknown = cur?.[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) break;
    cur = next as Obj;
    levels.push(cur);
  }
  for (const l of levels) apply(l);
  return out;
}
