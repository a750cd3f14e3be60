import { TxError } from '../errors.js';
import type { ColumnProps, ModelProps, SourceTable, TestSpec, UnitTestSpec } from './project-types.js';
import type { YamlFile } from './yaml-file.js';
import { validateYaml } from './validate.js';
import { EXTRA_CONFIG } from './dbt-project.js';

/** Keys of a test entry that are config, not arguments of the test. */
const TEST_CONFIG_KEYS = new Set(['severity', 'where', 'limit', 'warn_if', 'error_if', 'tags', 'enabled', 'store_failures', 'store_failures_as', 'meta', 'fail_calc', 'alias', 'schema']);

export interface ParsedProperties {
  models: ModelProps[];
  seeds: ModelProps[];
  sources: SourceTable[];
  unitTests: UnitTestSpec[];
  /** dbt-only entries tx reads and does not run (semantic_models, metrics, ...): key → entries. */
  dbtOnly: Record<string, unknown[]>;
}

/** Properties-file keys of dbt that tx reads and does not run. */
export const DBT_ONLY_PROPERTY_KEYS = ['semantic_models', 'metrics', 'saved_queries', 'groups', 'analyses', 'exposures', 'snapshots'] as const;

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));

/**
 * The test list of a properties entry: `data_tests:` or its older name `tests:`, and the key it is
 * under. Both in one entry is an error, as in dbt-core 1.10 ("cannot have both"), naming the line.
 */
export function testListOf(file: YamlFile, path: (string | number)[], o: Obj): { key: 'data_tests' | 'tests'; list: unknown } {
  if ('data_tests' in o && 'tests' in o) {
    throw new TxError('PROJECT', 'an entry has both `tests:` and `data_tests:` (its test list under two names)', { file: file.path, line: file.lineOf([...path, 'tests']), hint: 'keep one: `data_tests:` is the name dbt 1.8 and later use' });
  }
  return 'data_tests' in o ? { key: 'data_tests', list: o.data_tests } : { key: 'tests', list: o.tests };
}

/** Parse a test list (`tests:` or `data_tests:`) into TestSpecs. */
export function parseTests(file: YamlFile, path: (string | number)[], list: unknown[], column?: string, columnQuote?: boolean): TestSpec[] {
  const q = columnQuote === undefined ? {} : { columnQuote };
  return list.map((entry, i) => {
    const line = file.lineOf([...path, i]);
    if (typeof entry === 'string') return { name: entry, args: {}, config: {}, file: file.path, line, column, ...q };
    const o = asObj(entry);
    const keys = Object.keys(o);
    if (keys.length !== 1) {
      throw new TxError('PROJECT', `a test must be a name or a map with one key (the test name); got keys ${keys.join(', ') || '(none)'}`, { file: file.path, line });
    }
    const name = keys[0]!;
    const body = o[name] == null ? {} : o[name];
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new TxError('PROJECT', `arguments of test \`${name}\` must be a map`, { file: file.path, line });
    }
    const args: Obj = {};
    const config: Obj = { ...asObj((body as Obj).config) };
    for (const [k, v] of Object.entries(body as Obj)) {
      if (k === 'config') continue;
      if (k === 'arguments') Object.assign(args, asObj(v));
      else if (TEST_CONFIG_KEYS.has(k)) config[k] = v;
      else args[k] = v;
    }
    return { name, args, config, file: file.path, line, column, ...q };
  });
}

export function parseColumns(file: YamlFile, path: (string | number)[], list: unknown[]): ColumnProps[] {
  return list.map((c, i) => {
    const o = asObj(c);
    const name = str(o.name);
    const tl = testListOf(file, [...path, i], o);
    return {
      name,
      description: str(o.description),
      dataType: typeof o.data_type === 'string' ? o.data_type : undefined,
      ...(typeof o.granularity === 'string' ? { granularity: o.granularity } : {}),
      tests: parseTests(file, [...path, i, tl.key], asArr(tl.list), name, typeof o.quote === 'boolean' ? o.quote : undefined),
      ...(typeof o.quote === 'boolean' ? { quote: o.quote } : {}),
      // dbt 1.10: a column's config.meta updates its meta, config.tags follow its tags
      meta: { ...asObj(o.meta), ...asObj(asObj(o.config).meta) },
      ...(o.tags != null || asObj(o.config).tags != null ? { tags: [...new Set([...tagList(o.tags), ...tagList(asObj(o.config).tags)])] } : {}),
      line: file.lineOf([...path, i]),
    };
  });
}

const tagList = (v: unknown): string[] => (v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const isNonEmpty = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;

/** Python's str() of a version number as YAML wrote it (`v: 1` → `1`, `v: 1.5` → `1.5`). */
const versionText = (v: unknown): string => (typeof v === 'number' ? String(v) : str(v));

function parseModelLike(file: YamlFile, key: 'models' | 'seeds', list: unknown[]): ModelProps[] {
  return list.map((m, i) => {
    const o = asObj(m);
    const versions = key === 'models' && Array.isArray(o.versions)
      ? o.versions.map((x, vi) => {
          const vo = asObj(x);
          const vpath = [key, i, 'versions', vi];
          const cols = Array.isArray(vo.columns)
            ? vo.columns.map((c, ci) => {
                const co = asObj(c);
                if ('include' in co) {
                  const inc = co.include;
                  return { include: inc === 'all' || inc === '*' ? ('all' as const) : asArr(inc).map(str), exclude: asArr(co.exclude).map(str) };
                }
                return parseColumns(file, [...vpath, 'columns'], [c]).map((pc) => ({ ...pc, line: file.lineOf([...vpath, 'columns', ci]) }))[0]!;
              })
            : undefined;
          const { key: tk, list: tl } = testListOf(file, vpath, vo);
          return {
            v: versionText(vo.v),
            definedIn: typeof vo.defined_in === 'string' ? vo.defined_in : undefined,
            config: asObj(vo.config),
            description: typeof vo.description === 'string' ? vo.description : undefined,
            columns: cols,
            tests: Array.isArray(tl) ? parseTests(file, [...vpath, tk], tl) : undefined,
            line: file.lineOf(vpath),
          };
        })
      : undefined;
    // a top-level meta is the config's, as dbt-core 1.10 merges it; both is dbt's error
    const config = asObj(o.config);
    if (isNonEmpty(o.meta)) {
      if (config.meta != null) {
        throw new TxError('PROJECT', `found meta dictionary in 'config' dictionary and as top-level key (${key.slice(0, -1)} \`${str(o.name)}\`)`, {
          file: file.path,
          line: file.lineOf([key, i, 'meta']),
          hint: "remove the top-level key and define it under 'config' dictionary only (dbt's error too)",
        });
      }
    }
    return {
      ...(versions ? { versions, latestVersion: o.latest_version == null ? undefined : versionText(o.latest_version) } : {}),
      name: str(o.name),
      description: str(o.description),
      config: isNonEmpty(o.meta) ? { ...config, meta: o.meta } : config,
      ...((o as Record<symbol, unknown>)[EXTRA_CONFIG] ? { extraConfig: (o as Record<symbol, Record<string, unknown>>)[EXTRA_CONFIG] } : {}),
      columns: parseColumns(file, [key, i, 'columns'], asArr(o.columns)),
      tests: ((tl) => parseTests(file, [key, i, tl.key], asArr(tl.list)))(testListOf(file, [key, i], o)),
      meta: asObj(o.meta),
      ...(o.time_spine && typeof o.time_spine === 'object' ? { timeSpine: asObj(o.time_spine) } : {}),
      file: file.path,
      line: file.lineOf([key, i]),
    };
  });
}

const FORMAT_BY_EXT: [RegExp, SourceTable['format']][] = [
  [/\.csv(\.gz|\.gzip|\.zst)?$/i, 'csv'],
  [/\.tsv(\.gz)?$/i, 'csv'],
  [/\.parquet$/i, 'parquet'],
  [/\.(json|jsonl|ndjson)(\.gz)?$/i, 'json'],
  [/\.avro$/i, 'avro'],
  [/\.orc$/i, 'orc'],
];

/** Infer a file source's format from its path's extension (folders and globs: the pattern's extension). */
export function formatFromPath(path: string): SourceTable['format'] | undefined {
  return FORMAT_BY_EXT.find(([re]) => re.test(path))?.[1];
}

/** The properties file a unit test was read from, parsed: compileUnitTests takes its lines from it instead of parsing the file again. */
export const unitTestFiles = new WeakMap<UnitTestSpec, YamlFile>();

export function parseProperties(file: YamlFile): ParsedProperties {
  if (file.value == null) return { models: [], seeds: [], sources: [], unitTests: [], dbtOnly: {} };
  validateYaml('properties', file);
  const root = asObj(file.value);
  const sources: SourceTable[] = [];
  asArr(root.sources).forEach((s, si) => {
    const so = asObj(s);
    const sourceName = str(so.name);
    asArr(so.tables).forEach((t, ti) => {
      const to = asObj(t);
      const path = typeof to.path === 'string' ? to.path : undefined;
      let format = (to.format as SourceTable['format']) ?? undefined;
      if (path && !format && !path.includes('{{')) {
        format = formatFromPath(path);
        if (!format) {
          throw new TxError('PROJECT', `cannot infer the format of file source \`${sourceName}.${str(to.name)}\` from \`${path}\``, {
            file: file.path,
            line: file.lineOf(['sources', si, 'tables', ti, 'path']),
            hint: 'add `format: csv|parquet|json|avro|orc`',
          });
        }
      }
      sources.push({
        sourceName,
        name: str(to.name),
        description: str(to.description),
        sourceDescription: str(so.description),
        schema: str(so.schema) || sourceName,
        database: typeof so.database === 'string' ? so.database : undefined,
        identifier: str(to.identifier) || str(to.name),
        path,
        format,
        options: asObj(to.options),
        maxRejectedRows: typeof to.max_rejected_rows === 'number' ? to.max_rejected_rows : undefined,
        columns: parseColumns(file, ['sources', si, 'tables', ti, 'columns'], asArr(to.columns)),
        tests: ((tl) => parseTests(file, ['sources', si, 'tables', ti, tl.key], asArr(tl.list)))(testListOf(file, ['sources', si, 'tables', ti], to)),
        freshness: (to.freshness ?? so.freshness) as SourceTable['freshness'],
        loadedAtField: str(to.loaded_at_field ?? so.loaded_at_field) || undefined,
        eventTime: str(asObj(to.config).event_time ?? asObj(so.config).event_time) || undefined,
        meta: { ...asObj(so.meta), ...asObj(to.meta) },
        ...(so.config || to.config ? { config: { ...asObj(so.config), ...asObj(to.config) } } : {}),
        tags: [...asArr(so.tags), ...asArr(to.tags)].map(str),
        file: file.path,
        line: file.lineOf(['sources', si, 'tables', ti]),
      });
    });
  });
  const unitTests: UnitTestSpec[] = asArr(root.unit_tests).map((u, i) => {
    const o = asObj(u);
    const spec: UnitTestSpec = { name: str(o.name), model: str(o.model), raw: o, file: file.path, line: file.lineOf(['unit_tests', i]) };
    unitTestFiles.set(spec, file);
    return spec;
  });
  return {
    models: parseModelLike(file, 'models', asArr(root.models)),
    seeds: parseModelLike(file, 'seeds', asArr(root.seeds)),
    sources,
    unitTests,
    dbtOnly: Object.fromEntries(DBT_ONLY_PROPERTY_KEYS.filter((k) => asArr(root[k]).length).map((k) => [k, asArr(root[k])])),
  };
}
