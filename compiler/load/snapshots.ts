/**
 * Snapshots (SCD type 2), as dbt-core 1.10 reads them:
 * - `{% snapshot name %} ... {% endsnapshot %}` blocks in `.sql` files under the snapshot paths
 *   (`snapshots/`, or `snapshot-paths` in dbt_project.yml). As in dbt, the blocks are cut out of
 *   the file text before Jinja sees it (dbt's block extractor, not a Jinja extension); the block's
 *   body is the snapshot's SQL, where `config()`, `ref()` and `source()` work as in a model.
 * - `snapshots:` entries of properties files (dbt 1.9): with `relation: ref('x')` or
 *   `source('s', 't')` an entry is a snapshot of its own (`select * from {{ relation }}`);
 *   without, it describes (config, description, columns) a block snapshot of that name.
 * The config checks dbt's SnapshotConfig.final_validate makes are made here, at compile time.
 */
import { TxError, didYouMean } from '../errors.js';
import type { ColumnProps, SqlFile, TestSpec } from './project-types.js';
import { parseColumns, parseTests, testListOf } from './properties.js';
import { readYaml, type YamlFile } from './yaml-file.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A snapshot as loaded: its SQL (block body or generated select) and what YAML declares. */
export interface SnapshotFile extends SqlFile {
  /** 1-based line of the `{% snapshot %}` tag or the YAML entry. */
  line: number;
  /** Config from the properties file (`config:`), applied over project-level config. */
  declared: Obj;
  description: string;
  columns: ColumnProps[];
  /** Snapshot-level data tests (`data_tests:`/`tests:` of its properties entry); column tests sit in `columns`. */
  tests: TestSpec[];
  /** `yaml`: defined by a properties entry with `relation:`. */
  origin: 'block' | 'yaml';
}

const OPEN = /\{%(-?)\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*(-?)%\}/g;
const CLOSE = /\{%-?\s*endsnapshot\s*-?%\}/g;

/** The `{% snapshot %}` blocks of one file: name, body and line, in file order. */
export function snapshotBlocks(text: string, path: string): { name: string; body: string; line: number }[] {
  const out: { name: string; body: string; line: number }[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  let from = 0;
  for (;;) {
    OPEN.lastIndex = from;
    const m = OPEN.exec(text);
    if (!m) break;
    CLOSE.lastIndex = m.index + m[0].length;
    const end = CLOSE.exec(text);
    if (!end) throw new TxError('TEMPLATE', `snapshot \`${m[2]}\` has no {% endsnapshot %}`, { file: path, line: lineAt(m.index) });
    const nested = text.slice(m.index + m[0].length, end.index).search(/\{%-?\s*snapshot\s/);
    if (nested >= 0) throw new TxError('TEMPLATE', `snapshot \`${m[2]}\` is not closed before the next {% snapshot %}`, { file: path, line: lineAt(m.index) });
    let body = text.slice(m.index + m[0].length, end.index);
    if (m[3] === '-') body = body.replace(/^\s+/, '');
    if (/^\{%-/.test(end[0])) body = body.replace(/\s+$/, '');
    out.push({ name: m[2]!, body, line: lineAt(m.index) });
    from = end.index + end[0].length;
  }
  const stray = /\{%-?\s*endsnapshot/.exec(text.slice(from));
  if (stray) throw new TxError('TEMPLATE', 'an {% endsnapshot %} without its {% snapshot %}', { file: path, line: lineAt(from + stray.index) });
  return out;
}

/** Snapshots of the block files plus the properties files' `snapshots:` entries. */
export function loadSnapshots(
  dir: string,
  blockFiles: SqlFile[],
  yamlEntries: Obj[],
): SnapshotFile[] {
  const out: SnapshotFile[] = [];
  const byName = new Map<string, SnapshotFile>();
  const add = (s: SnapshotFile): void => {
    const prev = byName.get(s.name);
    if (prev) {
      throw new TxError('DUPLICATE', `two snapshots are named \`${s.name}\`: ${prev.path}:${prev.line} and ${s.path}:${s.line}`, {
        file: s.path,
        line: s.line,
        hint: 'snapshot names must be unique across the project; rename one',
      });
    }
    byName.set(s.name, s);
    out.push(s);
  };
  for (const f of blockFiles) {
    const blocks = snapshotBlocks(f.text, f.path);
    if (!blocks.length && f.text.trim()) {
      throw new TxError('PROJECT', `${f.path} is in a snapshot folder but holds no {% snapshot name %} ... {% endsnapshot %} block`, {
        file: f.path,
        line: 1,
        hint: 'wrap the query in {% snapshot my_snapshot %} ... {% endsnapshot %}, or declare the snapshot in a properties file with `relation:`',
      });
    }
    for (const b of blocks) {
      // dbt: a snapshot's fqn (and config hierarchy) includes its file name
      add({ ...f, name: b.name, text: b.body, folders: [...f.folders, f.name], line: b.line, declared: {}, description: '', columns: [], tests: [], origin: 'block' });
    }
  }
  // properties entries: definitions (relation:) first, then descriptions of block snapshots
  const patches: { entry: Obj; file: string; line?: number; yf?: YamlFile; idx: number }[] = [];
  const files = new Map<string, ReturnType<typeof readYaml>>();
  for (const e of yamlEntries) {
    const file = String(e.original_file_path ?? '');
    let yf = files.get(file);
    if (!yf && file) files.set(file, (yf = readYaml(`${dir}/${file}`, file, 'pyyaml', true)));
    const list = yf && isObj(yf.value) && Array.isArray(yf.value.snapshots) ? (yf.value.snapshots as unknown[]) : [];
    const idx = list.findIndex((x) => isObj(x) && x.name === e.name);
    const line = yf?.lineOf(['snapshots', idx < 0 ? 0 : idx]);
    if (typeof e.name !== 'string' || !e.name) throw new TxError('PROJECT', 'a snapshot in a properties file needs `name:`', { file, line });
    if (e.config != null && !isObj(e.config)) throw new TxError('PROJECT', `\`config\` of snapshot \`${e.name}\` must be a map`, { file, line });
    if (e.relation == null) {
      patches.push({ entry: e, file, line, yf, idx });
      continue;
    }
    const relation = String(e.relation).trim();
    if (!/^(ref|source)\s*\(.*\)$/s.test(relation)) {
      throw new TxError('PROJECT', `\`relation\` of snapshot \`${e.name}\` must be ref('model') or source('source', 'table'), got \`${relation}\``, { file, line });
    }
    const folders = file.split('/').slice(0, -1);
    add({
      name: e.name,
      path: file,
      absPath: `${dir}/${file}`,
      // as dbt writes it: select * from {{ <relation> }}
      text: `select * from {{ ${relation} }}`,
      folders: folders.length ? folders : [''],
      line: line ?? 1,
      declared: { ...((e.config as Obj | undefined) ?? {}) },
      description: typeof e.description === 'string' ? e.description : '',
      columns: columnsOf(e.columns, yf, idx),
      tests: testsOf(e, yf, idx),
      origin: 'yaml',
    });
  }
  for (const p of patches) {
    const s = byName.get(String(p.entry.name));
    if (!s) {
      throw new TxError('PROJECT', `properties describe snapshot \`${String(p.entry.name)}\`, but no {% snapshot ${String(p.entry.name)} %} block exists and the entry has no \`relation:\``, {
        file: p.file,
        line: p.line,
        hint: didYouMean(String(p.entry.name), byName.keys()) ?? 'add `relation: ref(\'model\')` to snapshot that model',
      });
    }
    Object.assign(s.declared, (p.entry.config as Obj | undefined) ?? {});
    if (typeof p.entry.description === 'string') s.description = p.entry.description;
    if (Array.isArray(p.entry.columns)) s.columns = columnsOf(p.entry.columns, p.yf, p.idx);
    s.tests = testsOf(p.entry, p.yf, p.idx);
  }
  return out;
}

/** Columns of a snapshot's properties entry, with their data tests (file:line from the properties file). */
function columnsOf(v: unknown, yf: YamlFile | undefined, idx: number): ColumnProps[] {
  if (!Array.isArray(v)) return [];
  if (yf && idx >= 0) return parseColumns(yf, ['snapshots', idx, 'columns'], v);
  return v.filter(isObj).map((c) => ({
    name: String(c.name ?? ''),
    description: typeof c.description === 'string' ? c.description : '',
    dataType: typeof c.data_type === 'string' ? c.data_type : undefined,
    tests: [],
    meta: isObj(c.meta) ? c.meta : {},
  }));
}

/** Snapshot-level data tests of a properties entry (`data_tests:` or `tests:`), as a model's. */
function testsOf(e: Obj, yf: YamlFile | undefined, idx: number): TestSpec[] {
  if (!yf || idx < 0) return [];
  const { key, list } = testListOf(yf, ['snapshots', idx], e);
  if (!Array.isArray(list)) return [];
  return parseTests(yf, ['snapshots', idx, key], list);
}

/** The snapshot's settings, as dbt's strategies read them from config. */
export interface SnapshotSpec {
  strategy: 'timestamp' | 'check';
  /** Key columns (or expressions); `keyIsList` as written (dbt names the key columns differently). */
  uniqueKey: string[];
  keyIsList: boolean;
  updatedAt?: string;
  checkCols?: 'all' | string[];
  hardDeletes: 'ignore' | 'invalidate' | 'new_record';
  validToCurrent?: string;
  columnNames: { dbt_scd_id: string; dbt_updated_at: string; dbt_valid_from: string; dbt_valid_to: string; dbt_is_deleted: string };
}

const META_KEYS = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to', 'dbt_is_deleted'] as const;

/**
 * A snapshot's config, checked as dbt checks it (SnapshotConfig.final_validate and the adapter's
 * get_hard_deletes_behavior): an error names the snapshot, the file and the line.
 */
export function snapshotSpec(name: string, config: Obj, where: { file: string; line?: number }): SnapshotSpec {
  const fail = (msg: string, hint?: string): never => {
    throw new TxError('PROJECT', `snapshot \`${name}\`: ${msg}`, { ...where, hint });
  };
  const strategy = config.strategy;
  const uk = config.unique_key;
  if (uk == null || uk === '' || (Array.isArray(uk) && !uk.length)) {
    fail('needs a `unique_key` (a column, or a list of columns) to tell which source row each snapshot row tracks', "e.g. {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}");
  }
  if (strategy == null || strategy === '') fail("needs a `strategy`: 'timestamp' (with updated_at) or 'check' (with check_cols)");
  if (strategy !== 'timestamp' && strategy !== 'check') {
    fail(`strategy \`${String(strategy)}\` is not one tx runs`, didYouMean(String(strategy), ['timestamp', 'check']) ?? "use 'timestamp' or 'check'");
  }
  if (Array.isArray(uk) && uk.some((k) => typeof k !== 'string' || !k.trim())) fail('`unique_key` must be a column name or a list of column names');
  let checkCols: SnapshotSpec['checkCols'];
  let updatedAt: string | undefined = config.updated_at == null || config.updated_at === '' ? undefined : String(config.updated_at);
  if (strategy === 'check') {
    const cc = config.check_cols;
    if (cc == null || cc === '' || (Array.isArray(cc) && !cc.length)) fail('the check strategy needs `check_cols`: \'all\' or a list of columns');
    if (typeof cc === 'string' && cc !== 'all') fail(`invalid value for 'check_cols': ${cc}. Expected 'all' or a list of strings.`);
    checkCols = cc === 'all' ? 'all' : (cc as unknown[]).map(String);
  } else {
    if (!updatedAt) fail('the timestamp strategy needs `updated_at`: the column that says when a source row last changed');
    if (config.check_cols != null) fail("a 'timestamp' snapshot should not have 'check_cols'");
  }
  const inv = config.invalidate_hard_deletes;
  const hd = config.hard_deletes;
  if (inv != null && hd != null) fail('you cannot set both `invalidate_hard_deletes` and `hard_deletes`', 'keep `hard_deletes` (invalidate_hard_deletes: true is hard_deletes: invalidate)');
  let hardDeletes: SnapshotSpec['hardDeletes'];
  if (inv === true || hd === 'invalidate') hardDeletes = 'invalidate';
  else if (hd === 'new_record') hardDeletes = 'new_record';
  else if (hd == null || hd === 'ignore') hardDeletes = 'ignore';
  else hardDeletes = fail(`invalid setting for \`hard_deletes\`: ${String(hd)}`, didYouMean(String(hd), ['ignore', 'invalidate', 'new_record']) ?? 'use ignore, invalidate or new_record');
  const meta = config.snapshot_meta_column_names;
  if (meta != null && !isObj(meta)) fail('`snapshot_meta_column_names` must be a map (dbt_valid_from: valid_from, ...)');
  const names = { ...Object.fromEntries(META_KEYS.map((k) => [k, k])) } as SnapshotSpec['columnNames'];
  for (const [k, v] of Object.entries((meta as Obj | undefined) ?? {})) {
    if (!(META_KEYS as readonly string[]).includes(k)) fail(`unknown key \`${k}\` in snapshot_meta_column_names`, didYouMean(k, META_KEYS) ?? `keys: ${META_KEYS.join(', ')}`);
    if (v != null && v !== '') names[k as (typeof META_KEYS)[number]] = String(v);
  }
  if (config.materialized != null && config.materialized !== 'snapshot') fail("a snapshot must have a materialized value of 'snapshot'");
  const vtc = config.dbt_valid_to_current;
  return {
    strategy,
    uniqueKey: Array.isArray(uk) ? uk.map(String) : [String(uk)],
    keyIsList: Array.isArray(uk),
    updatedAt,
    checkCols,
    hardDeletes,
    validToCurrent: vtc == null || vtc === '' ? undefined : String(vtc),
    columnNames: names,
  } as SnapshotSpec;
}
