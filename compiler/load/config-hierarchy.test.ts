/**
 * The dbt-style `models:` / `seeds:` hierarchy of project.yml: checked (config keys with or
 * without `+`, folders and node names that must exist, every misspelling with file:line and a
 * suggestion) and resolved for one node (deeper levels override, tags accumulate).
 */
import { describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { thrown } from '../../testing/thrown.js';
import { parseYaml } from './yaml-file.js';
import { configFromHierarchy, configKeys, validateHierarchy } from './config-hierarchy.js';

type Obj = Record<string, unknown>;

const errorOf = (fn: () => unknown): TxError => thrown(fn, TxError);

const MODEL_PATHS = new Set(['staging', 'staging/stg_orders', 'stg_orders', 'marts', 'marts/core', 'marts/core/orders', 'orders']);

/** Validate the `kind:` tree of a project.yml text. */
function validate(text: string, kind: 'models' | 'seeds' = 'models', known: Set<string> = MODEL_PATHS): void {
  const file = parseYaml(`name: proj\n${text}`, 'project.yml');
  validateHierarchy(kind, ((file.value as Obj)[kind] ?? {}) as Obj, file, 'proj', known);
}
const fail = (text: string, kind: 'models' | 'seeds' = 'models', known: Set<string> = MODEL_PATHS) => {
  const e = errorOf(() => validate(text, kind, known));
  expect(e.code).toBe('PROJECT');
  return { message: e.message, line: e.location.line, file: e.location.file, hint: e.hint };
};

describe('configKeys', () => {
  it('the config keys of models, seeds and tests come from the shipped schema', () => {
    expect(configKeys('models').slice(0, 4)).toEqual(['materialized', 'enabled', 'schema', 'database']);
    expect(configKeys('seeds')).toContain('quote_columns');
    expect(configKeys('models')).not.toContain('quote_columns');
    // dbt-duckdb's external models take a delimiter too
    expect(configKeys('seeds')).toContain('delimiter');
    expect(configKeys('models')).toContain('delimiter');
    expect(configKeys('tests')).toContain('severity');
    expect(configKeys('tests')).not.toContain('materialized');
  });
});

describe('validateHierarchy', () => {
  it('config keys with and without `+`, at the top, under the project name, folders and node names', () => {
    expect(() =>
      validate(
        [
          'models:', // 2
          '  +schema: top',
          '  proj:',
          '    +materialized: table',
          '    +post-hook: "select 1"',
          '    pre-hook: ["select 2"]',
          '    tags: [a]',
          '    meta: {owner: x}',
          '    staging:',
          '      materialized: view',
          '      stg_orders:',
          '        +enabled: false',
          '    marts:',
          '      core:',
          '        orders: {+tags: b}',
          '  staging:',
          '    +alias: s',
          '',
        ].join('\n'),
      ),
    ).not.toThrow();
    expect(() => validate('models: {}\n')).not.toThrow();
  });

  it('a misspelled `+` key: the key, where, file:line and the key meant', () => {
    expect(fail('models:\n  proj:\n    staging:\n      +materialzed: table\n')).toEqual({
      message: 'unknown config key `+materialzed` in project.yml (models.proj.staging)',
      file: 'project.yml',
      line: 5,
      hint: 'did you mean `materialized`?',
    });
  });

  it('a misspelled key without `+` holding a value is a misspelled config key too', () => {
    expect(fail('models:\n  proj:\n    materialzed: table\n')).toEqual({
      message: 'unknown config key `materialzed` in project.yml (models.proj)',
      file: 'project.yml',
      line: 4,
      hint: 'did you mean `materialized`?',
    });
    expect(fail('models:\n  materialzed: [table]\n').message).toBe('unknown config key `materialzed` in project.yml (models)');
  });

  it('a key like no config key lists them all', () => {
    const all = `config keys: ${configKeys('models').join(', ')}`;
    expect(fail('models:\n  proj:\n    +zzzzzzzzzzzz: 1\n')).toEqual({ message: 'unknown config key `+zzzzzzzzzzzz` in project.yml (models.proj)', file: 'project.yml', line: 4, hint: all });
    expect(fail('models:\n  proj:\n    zzzzzzzzzzzz: 1\n')).toEqual({ message: 'unknown config key `zzzzzzzzzzzz` in project.yml (models.proj)', file: 'project.yml', line: 4, hint: all });
    expect(fail('models:\n  +zzzzzzzzzzzz: {a: 1}\n').hint).toBe(all);
  });

  it('a map under a name that is no folder or node: the name, where, file:line and the folder meant', () => {
    expect(fail('models:\n  proj:\n    stagng:\n      +enabled: false\n')).toEqual({
      message: '`stagng` in project.yml (models.proj) is neither a config key nor a folder or model name',
      file: 'project.yml',
      line: 4,
      hint: 'did you mean `staging`?',
    });
    // the last segment of a deeper path is suggested
    expect(fail('models:\n  proj:\n    marts:\n      core:\n        ordrs: {}\n')).toEqual({
      message: '`ordrs` in project.yml (models.proj.marts.core) is neither a config key nor a folder or model name',
      file: 'project.yml',
      line: 6,
      hint: 'did you mean `orders`?',
    });
    expect(fail('seeds:\n  proj:\n    zzzzzzzz: {}\n', 'seeds', new Set(['raw']))).toEqual({
      message: '`zzzzzzzz` in project.yml (seeds.proj) is neither a config key nor a folder or seed name',
      file: 'project.yml',
      line: 4,
      hint: undefined,
    });
  });

  it('folders are matched by their path below the project name', () => {
    expect(() => validate('models:\n  proj:\n    marts:\n      core:\n        orders: {}\n')).not.toThrow();
    // core is a folder of marts, not of the top
    expect(fail('models:\n  proj:\n    core: {}\n').message).toBe('`core` in project.yml (models.proj) is neither a config key nor a folder or model name');
    // the path of a node is its folders and name, not its name anywhere
    expect(fail('models:\n  proj:\n    staging:\n      orders: {}\n', 'models').message).toBe(
      '`orders` in project.yml (models.proj.staging) is neither a config key nor a folder or model name',
    );
    // the project's name is only skipped at the top; another top-level name must be a folder
    expect(fail('models:\n  other:\n    staging: {}\n').message).toBe('`other` in project.yml (models) is neither a config key nor a folder or model name');
    expect(fail('models:\n  proj:\n    proj: {}\n').message).toBe('`proj` in project.yml (models.proj) is neither a config key nor a folder or model name');
    // a hierarchy may also start with the folders
    expect(() => validate('models:\n  staging:\n    stg_orders: {+enabled: true}\n')).not.toThrow();
  });

  it('a map under a config key is that config, unless a folder has that name', () => {
    expect(() => validate('models:\n  proj:\n    meta:\n      materialized: tabel\n')).not.toThrow();
    expect(fail('models:\n  proj:\n    meta:\n      materialized: tabel\n', 'models', new Set(['meta']))).toEqual({
      message: 'invalid value "tabel" for `materialized` in project.yml models.proj.meta',
      file: 'project.yml',
      line: 4,
      hint: 'did you mean `table`?',
    });
    // with `+` it is config even beside a folder of that name
    expect(() => validate('models:\n  proj:\n    +meta:\n      materialized: tabel\n', 'models', new Set(['meta']))).not.toThrow();
  });

  it('each level is validated against the config schema, at the line of that level', () => {
    expect(fail('models:\n  proj:\n    staging:\n      +materialized: tabel\n')).toEqual({
      message: 'invalid value "tabel" for `materialized` in project.yml models.proj.staging',
      file: 'project.yml',
      line: 4,
      hint: 'did you mean `table`?',
    });
    expect(fail('models:\n  +enabled: 3\n')).toEqual({ message: '`enabled` must be boolean in project.yml models', file: 'project.yml', line: 2, hint: undefined });
    // hooks are validated under their normalised name
    expect(fail('models:\n  +post-hook: 3\n').message).toBe('`post_hook` must be string in project.yml models');
    expect(fail('models:\n  pre-hook: 3\n').message).toBe('`pre_hook` must be string in project.yml models');
    // seeds have their own keys
    expect(() => validate('seeds:\n  +quote_columns: true\n', 'seeds', new Set())).not.toThrow();
    expect(fail('models:\n  +quote_columns: true\n').message).toBe('unknown config key `+quote_columns` in project.yml (models)');
  });
});

describe('validateHierarchy: installed packages', () => {
  const file = (text: string) => parseYaml(`name: proj\n${text}`, 'project.yml');
  const check = (text: string, packages: Map<string, Set<string>>) => {
    const f = file(text);
    validateHierarchy('models', (f.value as Obj).models as Obj, f, 'proj', MODEL_PATHS, packages);
  };
  const pkgs = new Map([['pkg', new Set(['stg', 'stg/a'])]]);

  it('a package block is checked against the package’s own folders', () => {
    expect(() => check('models:\n  pkg:\n    +schema: p\n    stg:\n      a: {+enabled: false}\n  proj:\n    staging: {+enabled: true}\n', pkgs)).not.toThrow();
    const e = errorOf(() => check('models:\n  pkg:\n    stgg: {+enabled: false}\n', pkgs));
    expect([e.message, e.location.line, e.hint]).toEqual(['`stgg` in project.yml (models.pkg) is neither a config key nor a folder or model name', 4, 'did you mean `stg`?']);
    // the root project's folders are not the package's
    expect(errorOf(() => check('models:\n  pkg:\n    staging: {}\n', pkgs)).message).toBe('`staging` in project.yml (models.pkg) is neither a config key nor a folder or model name');
    // without the package installed, its name is no folder
    expect(errorOf(() => check('models:\n  pkg:\n    stg: {}\n', new Map())).message).toBe('`pkg` in project.yml (models) is neither a config key nor a folder or model name');
  });

  it('a package named like the project is the project', () => {
    expect(() => check('models:\n  proj:\n    staging: {+enabled: true}\n', new Map([['proj', new Set(['x'])]]))).not.toThrow();
  });

  it('a null value is a config value, not a folder', () => {
    const e = errorOf(() => validate('models:\n  proj:\n    foo: null\n'));
    expect([e.message, e.location.line]).toEqual(['unknown config key `foo` in project.yml (models.proj)', 4]);
    expect(() => validate('models:\n  proj:\n    full_refresh: null\n')).not.toThrow();
  });
});

describe('configFromHierarchy', () => {
  const tree: Obj = {
    '+schema': 'top',
    tags: 'root',
    proj: {
      '+materialized': 'table',
      '+tags': ['p'],
      '+post-hook': 'select 1',
      'pre-hook': ['select 2'],
      meta: { owner: 'a' },
      contract: { enforced: true },
      validate: { rows: 1 },
      docs: { show: false },
      tblproperties: { k: 'v' },
      persist_docs: { relation: true },
      staging: {
        materialized: 'view',
        tags: 's',
        stg_orders: { '+enabled': false, '+tags': ['n1', 'n2'], '+meta': { owner: 'b' } },
      },
      marts: { core: { '+schema': 'core' } },
    },
  };

  it('levels override from the top to the node; tags accumulate; hooks normalised; maps only for map-valued config', () => {
    expect(configFromHierarchy(tree, 'proj', ['models', 'staging'], 'stg_orders')).toEqual({
      schema: 'top',
      tags: ['root', 'p', 's', 'n1', 'n2'],
      materialized: 'view',
      post_hook: 'select 1',
      pre_hook: ['select 2'],
      meta: { owner: 'b' },
      contract: { enforced: true },
      validate: { rows: 1 },
      docs: { show: false },
      tblproperties: { k: 'v' },
      enabled: false,
    });
  });

  it('a node in another folder gets only its own levels', () => {
    expect(configFromHierarchy(tree, 'proj', ['models', 'marts', 'core'], 'orders')).toEqual({
      schema: 'core',
      tags: ['root', 'p'],
      materialized: 'table',
      post_hook: 'select 1',
      pre_hook: ['select 2'],
      meta: { owner: 'a' },
      contract: { enforced: true },
      validate: { rows: 1 },
      docs: { show: false },
      tblproperties: { k: 'v' },
    });
    // the walk stops at the first missing level: `staging` below `marts` is not `proj.staging`
    expect(configFromHierarchy(tree, 'proj', ['models', 'marts', 'staging'], 'stg_orders').materialized).toBe('table');
    // a node at the root of the models folder
    expect(configFromHierarchy(tree, 'proj', ['models'], 'staging').materialized).toBe('view');
  });

  it('a hierarchy without the project name starts with the folders', () => {
    const t: Obj = { '+materialized': 'table', staging: { '+materialized': 'view', x: { '+tags': 'x' } } };
    expect(configFromHierarchy(t, 'proj', ['models', 'staging'], 'x')).toEqual({ materialized: 'view', tags: ['x'] });
    expect(configFromHierarchy(t, 'proj', ['models'], 'y')).toEqual({ materialized: 'table' });
  });

  it('a value that is not a map ends the walk', () => {
    // (as config they are values of their level, as dbt reads them)
    const t: Obj = { proj: { staging: ['not', 'a', 'level'], s2: 'no', s3: null } };
    const asValues = { staging: ['not', 'a', 'level'], s2: 'no', s3: null };
    expect(configFromHierarchy(t, 'proj', ['models', 'staging'], 'x')).toEqual(asValues);
    expect(configFromHierarchy(t, 'proj', ['models', 's2'], 'x')).toEqual(asValues);
    expect(configFromHierarchy(t, 'proj', ['models', 's3'], 'x')).toEqual(asValues);
    expect(configFromHierarchy({ proj: { a: { '+enabled': true } } }, 'proj', ['models', 'a'], 'x')).toEqual({ enabled: true });
    // a project-name key that is not a map is a config value, not a level
    expect(configFromHierarchy({ proj: 'v', '+enabled': true }, 'proj', ['models'], 'x')).toEqual({ proj: 'v', enabled: true });
  });

  it('null config values are kept (they unset), not walked', () => {
    expect(configFromHierarchy({ proj: { '+full_refresh': null, full_refresh2: null } }, 'proj', ['models'], 'x')).toEqual({ full_refresh: null, full_refresh2: null });
  });
});
