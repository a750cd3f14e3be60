/**
 * The compiled project as dbt's manifest v12 (what dbt-core 1.10 writes), so dbt's ecosystem
 * (dagster-dbt, Cosmos, Elementary, data catalogs) reads it. Field by field as dbt fills it:
 * `path` relative to the resource folder and `original_file_path` relative to the project,
 * sha256 checksums of the files, dbt-style config (defaults, `pre-hook`/`post-hook` lists,
 * a test's severity as written, `ERROR` when unset), `depends_on.macros`, `refs`, `sources`, generic tests with
 * `attached_node`, `column_name` and `test_metadata`, unit tests in `unit_tests`, macros and docs
 * blocks, disabled models and seeds in `disabled`; a dbt project's groups, exposures, semantic
 * models, metrics and saved queries (dbt-semantic.ts) with their graph edges and `group_map`.
 *
 * tx's own config keys (`exports`, `validate`, Hive options, …) stay in `config`, whose schema
 * allows extra keys; nothing tx-specific goes where the schema forbids it.
 */
import { createHash, hash, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { CompiledProject } from '../compile/compile-project.js';
import { BUILTIN_DBT_TEST_MACROS, BUILTIN_MACROS } from '../compile/builtin-macros.js';
import type { GraphNode } from '../compile/nodes.js';
import { propsKey, type ColumnProps, type SqlFile } from '../load/project-types.js';
import { TxError } from '../errors.js';
import { artifactJson } from './artifact-json.js';
import { anySecrets, scrub } from '../log/scrub.js';
import { artifactMetadata } from './dbt-meta.js';
import { macroBlocks, macroCalls, macroCallsInOrder, type MacroBlock } from './dbt-macros.js';
import { dbtGlobalMacroFiles } from '../template/dbt-global-macros.js';
import { groupMap, semanticResources } from '../compile/dbt-semantic.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const sha256 = (s: string): string => hash('sha256', s, 'hex');
/** dbt's file checksum: sha256 of the file's text without leading and trailing whitespace. */
export const fileChecksum = (text: string): string => sha256(text.trim());

/** The package tx's own built-in macros belong to (those dbt-core defines too are dbt's: DBT_DEFINED). */
export const BUILTIN_PACKAGE = 'tx';

/** tx's built-in macros that dbt-core's global project defines too: `macro.dbt.<name>`, as dbt lists them. */
const DBT_DEFINED = new Set(['generate_schema_name', 'generate_alias_name', 'generate_database_name', 'test_not_null', 'test_unique', 'test_accepted_values', 'test_relationships', 'default__test_not_null', 'default__test_unique', 'default__test_accepted_values', 'default__test_relationships']);

/** The dbt adapter whose macros (`postgres__dateadd`, package dbt_postgres) a target of each type runs. */
const ADAPTER_OF_TARGET: Record<string, string> = { postgres: 'postgres', duckdb: 'duckdb', hive: 'spark', spark: 'spark' };

/** The generic tests dbt-core parses without rendering them (its depends_on.macros is the test's macro alone). */
const UNRENDERED_TESTS = new Set(['macro.dbt.test_unique', 'macro.dbt.test_not_null']);

interface MacroEntry extends MacroBlock {
  uniqueId: string;
  packageName: string;
  file: string;
  /** tx's (package tx) or tx's copy of dbt's (package dbt): its file is tx's, not the project's. */
  builtin?: true;
}

/** `models/staging/x.sql` → `staging/x.sql`: dbt's `path` is relative to the resource folder. */
function relativeToRoots(file: string, roots: readonly string[]): string {
  for (const r of roots) {
    const root = r.replace(/\/+$/, '');
    if (root && file.startsWith(`${root}/`)) return file.slice(root.length + 1);
  }
  return file;
}

function hooks(v: unknown): { sql: string; transaction: boolean; index: number | null }[] {
  const list = v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  // (dbt's config holds no index: get_hook_dict leaves it unset, and get_hook gives it when the hook runs)
  return list.map((h) => (isObj(h) ? { sql: String(h.sql ?? ''), transaction: h.transaction !== false, index: typeof h.index === 'number' ? h.index : null } : { sql: String(h), transaction: true, index: null }));
}

/** dbt's defaults of a model's or seed's config (a fresh object each call: one shape, no spreads). */
const baseConfig = (materialized: string): Obj => ({
  enabled: true,
  alias: null,
  schema: null,
  database: null,
  tags: [],
  meta: {},
  group: null,
  materialized,
  incremental_strategy: null,
  batch_size: null,
  lookback: 1,
  begin: null,
  persist_docs: {},
  'post-hook': [],
  'pre-hook': [],
  quoting: {},
  column_types: {},
  full_refresh: null,
  unique_key: null,
  on_schema_change: 'ignore',
  on_configuration_change: 'apply',
  grants: {},
  packages: [],
  docs: { show: true, node_color: null },
  contract: { enforced: false, alias_types: true },
  event_time: null,
  concurrent_batches: null,
});

/** SnapshotConfig's own keys, as dbt writes them when unset. */
const SNAPSHOT_CONFIG_DEFAULTS = (): Obj => ({
  strategy: null,
  target_schema: null,
  target_database: null,
  updated_at: null,
  check_cols: null,
  snapshot_meta_column_names: { dbt_valid_to: null, dbt_valid_from: null, dbt_scd_id: null, dbt_updated_at: null, dbt_is_deleted: null },
  dbt_valid_to_current: null,
});

/** A node's config as dbt writes it: dbt's defaults, then the node's own keys (tx's extras kept). */
/** A model version as dbt writes it in the manifest: a number when YAML gave one. */
const versionValue = (v: string): string | number => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);

/**
 * dbt's `path` of a snapshot: relative to its snapshot folder; for one declared in a properties
 * file (dbt 1.9 YAML snapshots), `<that file>/<name>.sql`, as dbt writes it.
 */
export function snapshotDbtPath(n: GraphNode, roots: readonly string[]): string {
  const rel = relativeToRoots(n.path, roots);
  return /\.ya?ml$/i.test(n.path) ? `${rel}/${n.name}.sql` : rel;
}

/**
 * A node's compiled file under target/compiled/ or target/run/: `<project>/<its path>`, and for a
 * generic test, as dbt writes it, `<project>/<its properties file>/<short name>.sql`; a YAML
 * snapshot's is `<project>/<its properties file>/<dbt's path>` (dbt's get_target_write_path), so it
 * never collides with the folder of the tests declared in the same file.
 */
export function compiledRelPath(project: string, n: GraphNode, snapshotRoots: readonly string[] = ['snapshots']): string {
  // a package's node: target/compiled/<package>/<path in the package>, as dbt writes it
  const pkg = n.packageName;
  const path = pkg && n.path.includes(`/${pkg}/`) ? n.path.slice(n.path.indexOf(`/${pkg}/`) + pkg.length + 2) : n.path;
  const top = pkg ?? project;
  if (n.resourceType === 'analysis') return `${top}/${[...n.folders, path.split('/').pop()!].join('/')}`;
  if (n.resourceType === 'snapshot' && /\.ya?ml$/i.test(n.path)) return `${top}/${path}/${snapshotDbtPath(n, snapshotRoots)}`;
  return n.resourceType === 'test' && n.test?.kind === 'generic' ? `${top}/${path}/${n.test.shortName ?? n.name}.sql` : `${top}/${path}`;
}

export function dbtConfig(n: GraphNode): Obj {
  const c = n.config as Obj;
  let out: Obj;
  if (n.resourceType === 'test') {
    out = {
      enabled: true,
      alias: null,
      schema: null,
      database: null,
      tags: [],
      meta: {},
      group: null,
      materialized: 'test',
      severity: 'ERROR',
      store_failures: null,
      store_failures_as: null,
      where: null,
      limit: null,
      fail_calc: 'count(*)',
      warn_if: '!= 0',
      error_if: '!= 0',
    };
  } else if (n.resourceType === 'source') {
    out = { enabled: true, event_time: null, freshness: null, meta: {}, tags: [] };
  } else {
    out = baseConfig(n.resourceType === 'seed' ? 'seed' : n.resourceType === 'snapshot' ? 'snapshot' : 'view');
    // ModelConfig's own keys after NodeConfig's
    if (n.resourceType === 'model') {
      out.access = 'protected';
      out.freshness = null;
    }
    else if (n.resourceType === 'snapshot') Object.assign(out, SNAPSHOT_CONFIG_DEFAULTS());
    else if (n.resourceType === 'seed') {
      out.delimiter = ',';
      out.quote_columns = null;
    }
  }
  for (const [k, v] of Object.entries(c)) {
    if (k === 'pre_hook' || k === 'pre-hook') out['pre-hook'] = hooks(v);
    else if (k === 'post_hook' || k === 'post-hook') out['post-hook'] = hooks(v);
    else if (k === 'tags') out.tags = n.tags;
    // (dbt keeps a test's severity as written, `error` or `warn`; its default is `ERROR`)
    else if (k === 'severity') out.severity = String(v);
    else if (k === 'contract' && isObj(v)) out.contract = { enforced: v.enforced === true, alias_types: v.alias_types !== false };
    else if (k === 'docs' && isObj(v)) out.docs = { show: v.show !== false, node_color: v.node_color ?? null };
    else if (v !== undefined) out[k] = v;
  }
  // store_failures and store_failures_as settle each other, as dbt-core's TestConfig.__post_init__ does
  if (n.resourceType === 'test') {
    const as = out.store_failures_as;
    if (as === null || as === undefined) out.store_failures_as = out.store_failures === true ? 'table' : out.store_failures === false ? 'ephemeral' : null;
    else out.store_failures = as === 'ephemeral' ? false : true;
  }
  // a generic test's long name: dbt's config aliases it to the short name its relation and file take
  if (n.resourceType === 'test' && n.test?.kind === 'generic' && n.test.shortName && n.test.shortName !== n.name && out.alias === null) out.alias = n.test.shortName;
  return out;
}

function dbtColumns(cols: ColumnProps[]): Obj {
  return Object.fromEntries(
    cols.map((c) => [
      c.name,
      {
        name: c.name,
        description: c.description ?? '',
        meta: c.meta ?? {},
        data_type: c.dataType ?? null,
        constraints: [],
        quote: c.quote ?? null,
        config: { meta: c.meta ?? {}, tags: c.tags ?? [] },
        tags: c.tags ?? [],
        granularity: c.granularity ?? null,
        doc_blocks: c.docBlocks ?? [],
      },
    ]),
  );
}

function freshness(v: unknown): Obj | null {
  if (!isObj(v)) return null;
  const rule = (r: unknown) =>
    isObj(r) && typeof r.count === 'number' && Number.isInteger(r.count) && ['minute', 'hour', 'day'].includes(String(r.period)) ? { count: r.count, period: String(r.period) } : { count: null, period: null };
  return { warn_after: rule(v.warn_after), error_after: rule(v.error_after), filter: typeof v.filter === 'string' ? v.filter : null };
}

const built = new WeakMap<CompiledProject, Obj>();
const clocks = new WeakMap<CompiledProject, Date>();
/** One compile's manifest time: the object and the text written of it say the same generated_at and created_at. */
function clockOf(c: CompiledProject): Date {
  let d = clocks.get(c);
  if (!d) clocks.set(c, (d = new Date()));
  return d;
}

/** The manifest of a compiled project, built once per compile (state selection and column lineage share it). */
export function manifestOf(c: CompiledProject): Obj {
  let m = built.get(c);
  if (!m) built.set(c, (m = buildManifest(c, clockOf(c))));
  return m;
}

/** manifestBytes' default cleaner: nothing to clean. */
const identity = (text: string): string => text;

/** Where buildManifest puts a node, source or unit test: in its section of the manifest object, or serialized on the spot (manifestBytes). */
type Put = (section: Obj, id: string, o: Obj) => void;
const keep: Put = (section, id, o) => {
  section[id] = o;
};
/** How manifestStream builds the manifest: each entry put where it is serialized, configs serialized once, its head and nodes section made beforehand. */
interface Streamed {
  put: Put;
  configs: ConfigMemo;
  metadata: Obj;
  nodes: Obj;
}
/** What the rest of buildManifest reads of a node, source or unit test already put (semantic models' refs, group_map). */
const STUB_KEYS = ['name', 'resource_type', 'alias', 'schema', 'database', 'relation_name', 'group', 'source_name'] as const;

/** Where a streamed section's entries go, as UTF-8. */
interface Sink {
  /** How many entries were added (the separator goes before all but the first). */
  count: number;
  add(text: string): void;
}

/**
 * Text appended as UTF-8 into blocks of memory outside V8's heap: the garbage collector neither
 * copies nor traces it, and no string of the whole is ever built.
 */
class ByteBlocks implements Sink {
  readonly blocks: Buffer[] = [];
  count = 0;
  private block = Buffer.allocUnsafeSlow(0);
  private at = 0;
  add(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.block.length - this.at < text.length * 3) {
      this.seal();
      this.block = Buffer.allocUnsafeSlow(Math.max(1 << 20, text.length * 3));
    }
    this.at += this.block.write(text, this.at);
  }
  /** The blocks, each cut to what was written. */
  seal(): Buffer[] {
    if (this.at > 0) this.blocks.push(this.block.subarray(0, this.at));
    this.block = Buffer.allocUnsafeSlow(0);
    this.at = 0;
    return this.blocks;
  }
}

/**
 * Text encoded as UTF-8 into one block, reused: when it is full its bytes go to `emit`, which is
 * done with them when it returns. Fresh memory costs a page fault per 4 kB page the first time it
 * is written: the nodes of 10,000 models are 31 MB, about 8,000 faults, 40 to 60 ms of a cold
 * compile on this VM, and as much resident memory; one block of 1 MB faults once.
 */
class StreamedBlocks implements Sink {
  count = 0;
  private readonly block: Buffer;
  private at = 0;
  constructor(
    private readonly emit: (bytes: Buffer) => void,
    size: number,
  ) {
    this.block = Buffer.allocUnsafeSlow(size);
  }
  add(text: string): void {
    if (this.block.length - this.at < text.length * 3) {
      this.flush();
      // longer than the block: encoded on its own
      if (this.block.length < text.length * 3) return this.emit(Buffer.from(text));
    }
    this.at += this.block.write(text, this.at);
  }
  flush(): void {
    if (this.at > 0) this.emit(this.block.subarray(0, this.at));
    this.at = 0;
  }
}

/**
 * Whether a config holds only JSON data (strings, finite numbers, booleans, null, arrays, plain
 * objects; no undefined, which JSON drops but dbtConfig may read): its JSON then tells its dbt
 * config apart.
 */
function jsonData(v: unknown, depth = 0): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || depth > 32) return false;
  if (Array.isArray(v)) return v.every((x) => jsonData(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const x of Object.values(v as object)) if (!jsonData(x, depth + 1)) return false;
  return true;
}

/**
 * Models' dbt configs serialized once per distinct config (a project's 10,000 models have a
 * handful): a model's entry holds a placeholder where manifestBytes puts the text. A config that
 * is not plain JSON data is built and serialized with its node, as before.
 */
class ConfigMemo {
  private readonly mark = `\u0000tx-config-${randomUUID()}-`;
  private readonly byKey = new Map<string, number>();
  private readonly texts: string[] = [];
  /** The placeholder of model `n`'s config, or undefined to build it with the node. */
  placeholder(n: GraphNode): string | undefined {
    const own = n.config as Obj;
    if (!jsonData(own)) return undefined;
    // what dbtConfig reads: the node's own config, and its tags when the config sets them
    const key = `${JSON.stringify(own)}\u0000${own.tags !== undefined ? JSON.stringify(n.tags) : ''}`;
    let at = this.byKey.get(key);
    if (at === undefined) {
      this.byKey.set(key, (at = this.texts.length));
      this.texts.push(artifactJson(dbtConfig(n)));
    }
    return `${this.mark}${at}`;
  }
  /** `text` (an entry's JSON) with its config's placeholder replaced by the config's text, as the three pieces that make it. */
  fill(text: string, placeholder: string): [string, string, string] {
    const quoted = JSON.stringify(placeholder);
    const at = text.indexOf(quoted);
    return [text.slice(0, at), this.texts[Number(placeholder.slice(this.mark.length))]!, text.slice(at + quoted.length)];
  }
  owns(v: unknown): v is string {
    return typeof v === 'string' && v.startsWith(this.mark);
  }
}

/**
 * target/manifest.json as UTF-8 blocks: the bytes of clean(artifactJson(manifestOf(c)))
 * (manifest-bytes.test.ts). manifestStream's bytes, each block copied.
 */
export function manifestBytes(c: CompiledProject, clean: (text: string) => string = identity, blockSize?: number): Buffer[] {
  const blocks: Buffer[] = [];
  manifestStream(c, clean, (b) => blocks.push(Buffer.from(b)), blockSize);
  return blocks;
}

/**
 * target/manifest.json's bytes, clean(artifactJson(manifestOf(c))), handed to `emit` in order
 * (to write them to a file: emit must be done with a block when it returns, the next bytes may
 * overwrite it), produced without holding the whole object or its text. The manifest's head
 * (its metadata) goes first; then each node is serialized as soon as it is built, passed through
 * `clean` (the secret scrubber) and encoded into one reused block, so the tens of thousands of
 * small objects of a big project die young instead of being promoted and traced, and the
 * section is never in memory whole. Sources and unit tests (interleaved with the nodes as they
 * are built) are kept as bytes outside the heap until their place comes. What the rest of the
 * manifest reads of a node is kept in a small stub. When something else built the object
 * already, it is used.
 */
export function manifestStream(c: CompiledProject, clean: (text: string) => string, emit: (bytes: Buffer) => void, blockSize = 1 << 20): void {
  const done = built.get(c);
  if (done) return emit(Buffer.from(clean(artifactJson(done))));
  // With nothing to mask, an entry's pieces are written one after the other: joined, they make a
  // string of pieces (a rope) that V8 encodes to UTF-8 several times slower than flat strings
  // (31 MB at 10,000 models: about 55 ms against 12). A secret could span two pieces, so with
  // secrets each entry is joined and cleaned whole.
  const cleaning = clean === scrub ? anySecrets() : clean !== identity;
  const metadata = manifestMetadata(c, clockOf(c));
  // what artifactJson of the whole object starts with: metadata is its first key, nodes its second (checked below)
  const head = `{"metadata":${artifactJson(metadata)},"nodes":`;
  emit(Buffer.from(`${clean(head)}{`));
  const nodes: Obj = {};
  const parts = new Map<Obj, Sink>([[nodes, new StreamedBlocks(emit, blockSize)]]);
  const put: Put = (section, id, o) => {
    const stub: Obj = {};
    for (const k of STUB_KEYS) if (o[k] !== undefined) stub[k] = o[k];
    let out = parts.get(section);
    if (!out) parts.set(section, (out = new ByteBlocks()));
    const json = configs.owns(o.config) ? configs.fill(artifactJson(o), o.config) : artifactJson(o);
    const head = `${out.count++ ? ',' : ''}${JSON.stringify(id)}:`;
    if (cleaning) out.add(clean(typeof json === 'string' ? head + json : head + json.join('')));
    else {
      out.add(head);
      if (typeof json === 'string') out.add(json);
      else for (const piece of json) out.add(piece);
    }
    section[id] = stub;
  };
  const configs = new ConfigMemo();
  const m = buildManifest(c, clockOf(c), { put, configs, metadata, nodes });
  (parts.get(nodes) as StreamedBlocks).flush();
  // each streamed section stands in the object as a unique string, where its bytes go
  const mark = `\u0000tx-manifest-${randomUUID()}:`;
  const sections = new Map<string, ByteBlocks | undefined>();
  for (const key of ['nodes', 'sources', 'unit_tests']) {
    const out = parts.get(m[key] as Obj);
    if (!out) continue;
    m[key] = mark + key;
    sections.set(JSON.stringify(mark + key), out instanceof ByteBlocks ? out : undefined);
  }
  // the placeholders are found before the text is cleaned (a secret could be part of one)
  const text = artifactJson(m);
  const cuts = [...sections].map(([placeholder, out]) => ({ at: text.indexOf(placeholder), placeholder, out })).sort((a, b) => a.at - b.at);
  if (cuts[0]?.out !== undefined || text.slice(0, cuts[0].at) !== head) throw new Error('manifest.json: the head written first is not the manifest\'s (metadata, then nodes)');
  let from = cuts[0].at + cuts[0].placeholder.length;
  emit(Buffer.from('}'));
  for (const { at, placeholder, out } of cuts.slice(1)) {
    emit(Buffer.from(`${clean(text.slice(from, at))}{`));
    for (const b of out!.seal()) emit(b);
    emit(Buffer.from('}'));
    from = at + placeholder.length;
  }
  emit(Buffer.from(clean(text.slice(from))));
}

/**
 * The database dbt-duckdb writes for a DuckDB target without one: the catalog DuckDB names after
 * the file (`target/dev.duckdb` is `dev`), `memory` for an in-memory database; null elsewhere.
 */
function duckdbCatalog(c: CompiledProject): string | null {
  if (c.target.config.type !== 'duckdb') return null;
  const path = c.target.config.path;
  if (typeof path !== 'string' || path === '' || path === ':memory:') return 'memory';
  return posix.basename(path.replace(/\\/g, '/')).replace(/\.[^.]*$/, '');
}

/** The manifest's `metadata`, its first key (manifestStream writes it before any node is built). */
export function manifestMetadata(c: CompiledProject, generatedAt: Date): Obj {
  const p = c.project.name;
  return {
    ...artifactMetadata('manifest', generatedAt),
    project_name: p,
    project_id: createHash('md5').update(p).digest('hex'),
    user_id: null,
    send_anonymous_usage_stats: false,
    adapter_type: String(c.target.config.type),
    quoting: { database: true, schema: true, identifier: true, column: null },
  };
}

/** The manifest v12 of a compiled project. */
export function buildManifest(c: CompiledProject, generatedAt = new Date(), streamed?: Streamed): Obj {
  const { put, configs } = streamed ?? { put: keep, configs: undefined };
  const metadata = streamed?.metadata ?? manifestMetadata(c, generatedAt);
  const p = c.project.name;
  const createdAt = generatedAt.getTime() / 1000;
  const targetSchema = String(c.target.public.schema ?? 'main');
  const targetDatabase = c.target.public.database == null ? duckdbCatalog(c) : String(c.target.public.database);
  const paths = c.project.paths;

  // ---- macros: built-ins (package tx, or dbt for those dbt defines too; a dbt project's also dbt's
  // global macros as tx ships them), then the project's (a project macro overrides a built-in)
  const macros: MacroEntry[] = [];
  for (const b of [...macroBlocks(BUILTIN_MACROS), ...macroBlocks(BUILTIN_DBT_TEST_MACROS)]) {
    const pkg = DBT_DEFINED.has(b.name) ? 'dbt' : BUILTIN_PACKAGE;
    macros.push({ ...b, uniqueId: `macro.${pkg}.${b.name}`, packageName: pkg, file: 'compiler/compile/builtin-macros.ts', builtin: true });
  }
  if (c.project.projectFile === 'dbt_project.yml') {
    const have = new Set(macros.map((m) => m.uniqueId));
    // an adapter's implementation (`postgres__dateadd`) is its adapter package's, as dbt lists it, and
    // only the target's adapter's is listed (the others are not installed in a dbt project)
    const adapter = ADAPTER_OF_TARGET[String(c.target.config.type)];
    for (const f of dbtGlobalMacroFiles()) {
      for (const b of macroBlocks(f.text)) {
        const prefix = b.name.includes('__') ? b.name.slice(0, b.name.indexOf('__')) : '';
        const pkg = prefix && prefix !== 'default' ? (prefix === adapter ? `dbt_${prefix}` : undefined) : 'dbt';
        if (!pkg) continue;
        const uniqueId = `macro.${pkg}.${b.name}`;
        if (have.has(uniqueId)) continue;
        have.add(uniqueId);
        macros.push({ ...b, uniqueId, packageName: pkg, file: `compiler/template/dbt-global-macros/${posix.basename(f.path)}`, builtin: true });
      }
    }
  }
  for (const f of c.project.macros) for (const b of macroBlocks(f.text)) macros.push({ ...b, uniqueId: `macro.${p}.${b.name}`, packageName: p, file: f.path });
  // the installed packages' macros, as dbt lists them (their files by their path inside the package)
  for (const pkg of c.project.packages ?? []) for (const f of pkg.macros) for (const b of macroBlocks(f.text)) macros.push({ ...b, uniqueId: `macro.${pkg.name}.${b.name}`, packageName: pkg.name, file: f.path });
  const macroIds = new Map<string, string>();
  // (a bare name calls the root project's macro, else a built-in; a package's, called by its namespace, is not one of these)
  for (const m of macros) if (m.packageName === p || (m.builtin && !macroIds.has(m.name))) macroIds.set(m.name, m.uniqueId);
  const macroIdSet = new Set(macros.map((m) => m.uniqueId));
  /** Each package's macros by name (`dbt`, the project's, each installed package's): `ns.name(` calls. */
  const byPackage = new Map<string, Map<string, string>>();
  for (const m of macros) {
    let names = byPackage.get(m.packageName);
    if (!names) byPackage.set(m.packageName, (names = new Map()));
    if (!names.has(m.name)) names.set(m.name, m.uniqueId);
  }
  /**
   * A macro's id as dbt-core's MacroResolver finds it for a node of package `local`: that package's
   * own (a package's node), else the root project's, else an installed package's (the last listed),
   * else a built-in (dbt's, or tx's).
   */
  const installed = (c.project.packages ?? []).map((x) => x.name);
  const resolveMacro = (name: string, local: string | undefined): string | undefined => {
    const own = local && local !== p ? byPackage.get(local)?.get(name) : undefined;
    if (own) return own;
    const root = byPackage.get(p)?.get(name);
    if (root) return root;
    for (let i = installed.length - 1; i >= 0; i--) {
      const id = byPackage.get(installed[i]!)?.get(name);
      if (id) return id;
    }
    return macroIds.get(name);
  };
  /** A node's depends_on.macros: its template's calls of macros (bare names: its package's, the project's, a built-in). */
  const nodeMacros = (n: GraphNode): string[] => {
    if (!n.rawSql) return [];
    const local = n.packageName && n.packageName !== p ? byPackage.get(n.packageName) : undefined;
    return macroCallsInOrder(n.rawSql, (ns, name) => (ns === null ? local?.get(name) ?? macroIds.get(name) : byPackage.get(ns)?.get(name)));
  };
  // a package's macro calls its own package's macros by their bare names
  const packageMacroIds = new Map<string, Map<string, string>>();
  for (const m of macros) {
    if (m.packageName === p || m.builtin) continue;
    let byName = packageMacroIds.get(m.packageName);
    if (!byName) packageMacroIds.set(m.packageName, (byName = new Map()));
    byName.set(m.name, m.uniqueId);
  }
  const macroDeps = (m: MacroEntry): string[] => {
    const own = packageMacroIds.get(m.packageName);
    if (!own) return macrosUsed(m.sql, m.name);
    return macroCalls(m.sql, new Set(own.keys())).filter((x) => x !== m.name).map((x) => own.get(x)!);
  };
  const macroNames = new Set(macroIds.keys());
  const macrosUsed = (text: string | undefined, self?: string) => (text ? macroCalls(text, macroNames).filter((x) => x !== self).map((x) => macroIds.get(x)!) : []);

  const refOf = (id: string) => c.nodes.get(id);
  const refsOf = (n: GraphNode) => {
    const names = n.resourceType === 'test' ? n.dependsOn.map(refOf).filter((d): d is GraphNode => !!d && d.resourceType !== 'source').map((d) => d.name) : n.refs;
    return [...new Set(names)].map((name) => ({ name, package: null, version: null }));
  };
  const sourcesOf = (n: GraphNode): [string, string][] => {
    if (n.resourceType !== 'test') return n.sources.map(([a, b]) => [a, b]);
    return n.dependsOn
      .map(refOf)
      .filter((d): d is GraphNode => !!d && d.resourceType === 'source' && !!d.source)
      .map((d) => [d.source!.sourceName, d.source!.name]);
  };
  const compiledRel = (n: GraphNode) => compiledRelPath(p, n, c.project.paths.snapshots ?? ['snapshots']);
  // a package's files: dbt writes their paths relative to the package's folder
  const pkgDirs = new Map((c.project.packages ?? []).map((x) => [x.name, posix.relative(c.project.dir.split('\\').join('/'), x.dir.split('\\').join('/'))]));
  const inPackage = (file: string, pkg?: string): string => {
    const d = pkg ? pkgDirs.get(pkg) : undefined;
    return d && file.startsWith(`${d}/`) ? file.slice(d.length + 1) : file;
  };
  // posix.join per node was a tenth of building the nodes: the folder once, a clean relative path appended as it is
  const compiledDir = posix.join(c.project.targetPath.split('\\').join('/'), 'compiled');
  const compiledPath = (n: GraphNode) => {
    const rel = compiledRel(n);
    return rel === '' || /(^|\/)\.{1,2}(\/|$)|\/\/|^\/|\/$/.test(rel) ? posix.join(compiledDir, rel) : `${compiledDir}/${rel}`;
  };

  // under --defer a node's own relation, not the state's one its ref() reads (dbt writes no defer_relation)
  // a data test's: where store_failures writes (dbt's `<schema>_dbt_test__audit`)
  const ownRel = (n: GraphNode) => n.ownRelation?.relation ?? n.relation ?? n.test?.store;
  // a node's group: its config's; a generic test is in the group of the node it tests (its config's stays null), as in dbt
  const groupOf = (n: GraphNode): string | null => {
    const own = typeof n.config.group === 'string' ? n.config.group : null;
    if (n.resourceType !== 'test' || n.test?.kind !== 'generic' || !n.test.attachedTo) return own;
    const g = refOf(n.test.attachedTo)?.config.group;
    return typeof g === 'string' ? g : null;
  };
  const common = (n: GraphNode, dbtPath: string): Obj => ({
    database: ownRel(n)?.database ?? targetDatabase,
    schema: ownRel(n)?.schema ?? targetSchema,
    name: n.name,
    resource_type: n.resourceType,
    package_name: n.packageName ?? p,
    path: dbtPath,
    original_file_path: inPackage(n.path, n.packageName),
    unique_id: n.uniqueId,
    fqn: n.fqn,
    alias: ownRel(n)?.identifier ?? n.name,
    checksum: { name: 'sha256', checksum: (n.resourceType === 'model' || n.resourceType === 'analysis') && n.rawSql !== undefined ? (n.rawChecksum ?? fileChecksum(n.rawSql)) : n.checksum },
    // (a model's, for manifestBytes: a placeholder of its config serialized once)
    config: (n.resourceType === 'model' && configs?.placeholder(n)) || dbtConfig(n),
    tags: n.tags,
    description: n.description ?? '',
    columns: dbtColumns(n.columns),
    meta: isObj(n.config.meta) ? n.config.meta : {},
    group: groupOf(n),
    docs: { show: true, node_color: null },
    patch_path: null,
    build_path: null,
    unrendered_config: {},
    created_at: createdAt,
    relation_name: n.ownRelation?.relationName ?? n.relationName ?? null,
    raw_code: n.rawSql ?? '',
    doc_blocks: n.docBlocks ?? [],
  });
  // a generic test's macros, as dbt-core 1.10 lists them: its test macro found by name as its
  // MacroResolver finds it (the namespace is not asked: a project's `test_equality` is listed for
  // `dbt_utils.equality`), then get_where_subquery, which renders the test's `model` argument: by
  // every command that compiles, and by `dbt parse` and `dbt ls` for every test but dbt's own
  // unique and not_null, which dbt parses without rendering them
  const atParse = c.command === 'parse' || c.command === 'list';
  const testMacro = (n: GraphNode): string[] => {
    const id = resolveMacro(`test_${n.test!.testName}`, n.packageName);
    if (!id) return [];
    const where = atParse && UNRENDERED_TESTS.has(id) ? undefined : resolveMacro('get_where_subquery', n.packageName);
    return where && macroIdSet.has(where) ? [id, where] : [id];
  };
  // set property by property on the node's object (one shape for all nodes: 10,000 models stay fast)
  const compiled = (n: GraphNode, o: Obj): Obj => {
    o.language = 'sql';
    o.refs = refsOf(n);
    o.sources = sourcesOf(n);
    o.metrics = [];
    o.depends_on = { macros: n.test?.kind === 'generic' ? testMacro(n) : nodeMacros(n), nodes: n.dependsOn };
    o.compiled_path = n.compiledSql ? compiledPath(n) : null;
    o.compiled = !!n.compiledSql;
    o.compiled_code = n.compiledSql ?? null;
    o.extra_ctes_injected = true;
    o.extra_ctes = [];
    o.contract = { enforced: (n.config.contract as Obj | undefined)?.enforced === true, alias_types: true, checksum: null };
    return o;
  };

  // dbt's inferred primary key (ModelNode.infer_primary_key): the columns with both a unique and a not_null
  // test, else those with a unique test (unique_combination_of_columns counts as unique). tx reads no
  // constraints, and a disabled test is not in its graph, so neither of dbt's other two sources applies.
  const testsOf = new Map<string, GraphNode[]>();
  for (const t of c.nodes.values()) {
    if (t.resourceType !== 'test' || t.test?.kind !== 'generic' || !t.test.attachedTo) continue;
    const list = testsOf.get(t.test.attachedTo);
    if (list) list.push(t);
    else testsOf.set(t.test.attachedTo, [t]);
  }
  const primaryKeyOf = (id: string): string[] => {
    const unique = new Set<string>();
    const notNull = new Set<string>();
    for (const t of testsOf.get(id) ?? []) {
      const combo = t.test!.args?.combination_of_columns;
      const cols = t.test!.column != null ? [t.test!.column] : Array.isArray(combo) ? combo.map(String) : [];
      for (const col of cols) {
        if (t.test!.testName === 'unique' || t.test!.testName === 'unique_combination_of_columns') unique.add(col);
        else if (t.test!.testName === 'not_null') notNull.add(col);
      }
    }
    const both = [...notNull].filter((x) => unique.has(x));
    return both.length ? both : [...unique];
  };

  const nodes: Obj = streamed?.nodes ?? {};
  const sources: Obj = {};
  const unitTests: Obj = {};
  const propsFile = (name: string, kind: 'model' | 'seed', pkg?: string) => {
    const f = (kind === 'model' ? c.project.modelProps : c.project.seedProps).get(propsKey(pkg, name))?.file;
    return f ? inPackage(f, pkg) : f;
  };

  const seedText = new Map(c.project.seeds.map((f) => [f.path, f.text]));
  // the folders of a properties file, for the fqn of each of its generic tests
  const testFolders = new Map<string, string[]>();
  const singularText = new Map(c.project.singularTests.map((f) => [f.path, f.text]));
  for (const n of c.nodes.values()) {
    if (n.resourceType === 'seed') {
      const pf = propsFile(n.name, 'seed', n.packageName);
      const text = seedText.get(n.path);
      put(nodes, n.uniqueId, {
        ...common(n, relativeToRoots(inPackage(n.path, n.packageName), paths.seeds)),
        ...(text !== undefined ? { checksum: { name: 'sha256', checksum: fileChecksum(text) } } : {}),
        patch_path: pf ? `${n.packageName ?? p}://${pf}` : null,
        root_path: c.project.dir,
        depends_on: { macros: [] },
      });
    } else if (n.resourceType === 'model') {
      const pf = propsFile(n.version ? n.path.split('/').pop()!.replace(/\.sql$/, '') : n.name, 'model', n.packageName);
      const o = common(n, relativeToRoots(inPackage(n.path, n.packageName), paths.models));
      o.patch_path = pf ? `${n.packageName ?? p}://${pf}` : null;
      compiled(n, o);
      o.access = 'protected';
      o.constraints = [];
      // a model version: dbt writes `version` and `latest_version` as YAML gave them (numbers stay numbers)
      o.version = n.version == null ? null : versionValue(n.version);
      o.latest_version = n.latestVersion == null ? null : versionValue(n.latestVersion);
      o.deprecation_date = null;
      o.primary_key = primaryKeyOf(n.uniqueId);
      const ts = c.project.modelProps.get(propsKey(n.packageName, n.name))?.timeSpine;
      o.time_spine = ts
        ? {
            standard_granularity_column: typeof ts.standard_granularity_column === 'string' ? ts.standard_granularity_column : null,
            custom_granularities: (Array.isArray(ts.custom_granularities) ? ts.custom_granularities : []).map((g: unknown) => {
              const x = isObj(g) ? g : {};
              return { name: String(x.name), column_name: typeof x.column_name === 'string' ? x.column_name : null };
            }),
          }
        : null;
      put(nodes, n.uniqueId, o);
      // ephemeral models have no relation: dbt writes their would-be schema and alias, no relation name
    } else if (n.resourceType === 'snapshot') {
      // dbt's SnapshotNode: a compiled node without a model's access, version and constraints
      const o = common(n, snapshotDbtPath(n, c.project.paths.snapshots ?? ['snapshots']));
      compiled(n, o);
      const meta = (n.config as Obj).snapshot_meta_column_names;
      if (isObj(meta)) (o.config as Obj).snapshot_meta_column_names = { ...(SNAPSHOT_CONFIG_DEFAULTS().snapshot_meta_column_names as Obj), ...meta };
      put(nodes, n.uniqueId, o);
    } else if (n.resourceType === 'source' && n.source) {
      const s = n.source;
      const f = freshness(s.freshness);
      put(sources, n.uniqueId, {
        database: s.database ?? targetDatabase,
        schema: s.schema,
        name: s.name,
        resource_type: 'source',
        package_name: n.packageName ?? p,
        path: inPackage(s.file, n.packageName),
        original_file_path: inPackage(s.file, n.packageName),
        unique_id: n.uniqueId,
        fqn: n.fqn,
        source_name: s.sourceName,
        source_description: s.sourceDescription ?? '',
        loader: '',
        identifier: s.identifier,
        quoting: { database: null, schema: null, identifier: null, column: null },
        loaded_at_field: s.loadedAtField ?? null,
        loaded_at_query: null,
        freshness: f,
        external: s.path ? { location: s.path, file_format: s.format ?? null, row_format: null, tbl_properties: null, partitions: null, ...(Object.keys(s.options ?? {}).length ? { options: s.options } : {}) } : null,
        description: s.description ?? '',
        columns: dbtColumns(s.columns),
        meta: s.meta ?? {},
        source_meta: {},
        tags: s.tags ?? [],
        config: { enabled: true, event_time: s.eventTime ?? null, freshness: f, meta: s.meta ?? {}, tags: s.tags ?? [], ...(s.maxRejectedRows !== undefined ? { max_rejected_rows: s.maxRejectedRows } : {}) },
        patch_path: null,
        unrendered_config: {},
        relation_name: n.relationName ?? null,
        created_at: createdAt,
        unrendered_database: null,
        unrendered_schema: null,
        doc_blocks: n.docBlocks ?? [],
      });
    } else if (n.resourceType === 'test' && n.test?.kind === 'unit') {
      const raw = c.project.unitTests.find((u) => u.name === n.name && `model.${u.package ?? p}.${u.model}` === n.test!.attachedTo)?.raw ?? {};
      const fixture = (x: unknown): Obj => {
        const o = isObj(x) ? x : {};
        return { ...(o.input !== undefined ? { input: String(o.input) } : {}), rows: o.rows ?? null, format: typeof o.format === 'string' ? o.format : 'dict', fixture: typeof o.fixture === 'string' ? o.fixture : null };
      };
      const model = refOf(n.test.attachedTo!)!;
      put(unitTests, n.uniqueId, {
        model: model.name,
        given: (Array.isArray(raw.given) ? raw.given : []).map(fixture),
        expect: (({ input: _input, ...rest }) => rest)(fixture(raw.expect)),
        name: n.name,
        resource_type: 'unit_test',
        package_name: n.packageName ?? p,
        path: relativeToRoots(inPackage(n.path, n.packageName), paths.models),
        original_file_path: inPackage(n.path, n.packageName),
        unique_id: n.uniqueId,
        fqn: n.fqn,
        description: n.description ?? '',
        overrides: isObj(raw.overrides) ? { macros: {}, vars: {}, env_vars: {}, ...raw.overrides } : null,
        depends_on: { macros: [], nodes: n.dependsOn },
        config: { tags: n.tags, meta: isObj(n.config.meta) ? n.config.meta : {}, enabled: true },
        checksum: n.checksum,
        schema: ownRel(model)?.schema ?? targetSchema,
        created_at: createdAt,
        versions: null,
        version: null,
      });
    } else if (n.resourceType === 'test' && n.test?.kind === 'generic') {
      const t = n.test;
      const attached = t.attachedTo ? refOf(t.attachedTo) : undefined;
      const call = attached?.resourceType === 'source' && attached.source ? `source('${attached.source.sourceName}', '${attached.source.name}')` : `ref('${attached?.name ?? ''}')`;
      // dbt's fqn of a generic test: the project, the folders of its properties file, its name
      let folders = testFolders.get(n.path);
      if (!folders) testFolders.set(n.path, (folders = posix.dirname(relativeToRoots(n.path, [...paths.models, ...paths.seeds])).split('/').filter((x) => x && x !== '.')));
      const o = common(n, `${t.shortName ?? n.name}.sql`);
      o.fqn = [p, ...folders, n.name];
      if (t.shortName && t.shortName !== n.name) o.alias = t.shortName;
      o.raw_code = `{{ ${t.namespace ? `${t.namespace}.` : ''}test_${t.testName}(**_dbt_generic_test_kwargs) }}`;
      compiled(n, o);
      put(nodes, n.uniqueId, Object.assign(o, {
        column_name: t.column ?? null,
        file_key_name: attached ? (attached.resourceType === 'source' && attached.source ? `sources.${attached.source.sourceName}` : `${attached.resourceType}s.${attached.name}`) : null,
        attached_node: t.attachedTo ?? null,
        test_metadata: {
          name: t.testName ?? n.name,
          kwargs: { ...(t.args ?? {}), ...(t.column ? { column_name: t.column } : {}), model: `{{ get_where_subquery(${call}) }}` },
          namespace: t.namespace ?? null,
        },
      }));
    } else if (n.resourceType === 'test') {
      // singular tests: dbt's schema has no attached_node for them
      const text = singularText.get(n.path);
      const o = common(n, relativeToRoots(inPackage(n.path, n.packageName), paths.tests));
      if (text !== undefined) o.checksum = { name: 'sha256', checksum: fileChecksum(text) };
      put(nodes, n.uniqueId, compiled(n, o));
    }
  }

  // ---- disabled models and seeds: what `enabled: false` left out of the graph
  const disabled: Obj = {};
  const disabledOf = (f: SqlFile, kind: 'model' | 'seed') => {
    const fp = f.package ?? p;
    const id = `${kind}.${fp}.${f.name}`;
    if (c.nodes.has(id)) return;
    disabled[id] = [
      {
        database: targetDatabase,
        schema: targetSchema,
        name: f.name,
        resource_type: kind,
        package_name: fp,
        path: relativeToRoots(inPackage(f.path, f.package), kind === 'model' ? paths.models : paths.seeds),
        original_file_path: inPackage(f.path, f.package),
        unique_id: id,
        fqn: [fp, ...f.folders.slice(1), f.name],
        alias: f.name,
        checksum: { name: 'sha256', checksum: fileChecksum(f.text) },
        config: { ...baseConfig(kind === 'seed' ? 'seed' : 'view'), enabled: false },
        tags: [],
        description: '',
        columns: {},
        meta: {},
        created_at: createdAt,
        raw_code: kind === 'model' ? f.text : '',
        ...(kind === 'model' ? { language: 'sql', refs: [], sources: [], metrics: [], depends_on: { macros: [], nodes: [] } } : { depends_on: { macros: [] } }),
      },
    ];
  };
  for (const f of c.project.models) disabledOf(f, 'model');
  for (const f of c.project.seeds) disabledOf(f, 'seed');

  // ---- groups, exposures, semantic models, metrics, saved queries (dbt-only: written, not run)
  const semantic = semanticResources(c, { project: p, createdAt, targetDatabase, targetSchema, nodes, sources, roots: [...paths.models, ...paths.seeds, ...(paths.snapshots ?? []), ...paths.tests] });
  Object.assign(disabled, semantic.disabled);
  const groupNames = new Set(Object.values(semantic.groups).map((g) => String((g as Obj).name)));
  for (const n of c.nodes.values()) {
    const g = n.config.group;
    // (the root project's nodes: tx reads the groups of the root project's properties files)
    if (g === undefined || g === null || n.packageName || (n.resourceType === 'test' && n.test?.kind === 'generic')) continue;
    if (!groupNames.has(String(g))) {
      throw new TxError('PROJECT', `${n.resourceType} \`${n.name}\`: invalid group \`${String(g)}\`, expected one of [${[...groupNames].map((x) => `'${x}'`).join(', ')}]`, {
        file: n.path,
        hint: 'declare the group under `groups:` in a properties file',
      });
    }
  }

  // analyses: compiled, never run (dbt writes them as nodes with a path under `analysis/`)
  for (const n of c.analyses ?? []) {
    const o = common(n, compiledRel(n).slice(`${n.packageName ?? p}/`.length));
    o.relation_name = null;
    compiled(n, o);
    put(nodes, n.uniqueId, o);
  }

  // ---- parent and child maps over everything in the graph, exposures, metrics, semantic models and saved queries too
  const parents: Record<string, string[]> = {};
  const children: Record<string, string[]> = {};
  for (const n of c.nodes.values()) {
    parents[n.uniqueId] = [...n.dependsOn];
    children[n.uniqueId] = c.dag.children(n.uniqueId);
  }
  for (const n of c.analyses ?? []) {
    parents[n.uniqueId] = [...n.dependsOn].sort();
    children[n.uniqueId] = [];
    for (const d of n.dependsOn) {
      const list = children[d] ?? (children[d] = []);
      if (!list.includes(n.uniqueId)) list.push(n.uniqueId);
      list.sort();
    }
  }
  for (const kind of [semantic.exposures, semantic.metrics, semantic.semantic_models, semantic.saved_queries]) {
    for (const [id, o] of Object.entries(kind)) {
      const deps = ((o as Obj).depends_on as { nodes: string[] }).nodes;
      parents[id] = [...deps].sort();
      children[id] ??= [];
    }
  }
  for (const kind of [semantic.exposures, semantic.metrics, semantic.semantic_models, semantic.saved_queries]) {
    for (const [id, o] of Object.entries(kind)) {
      for (const d of ((o as Obj).depends_on as { nodes: string[] }).nodes) {
        const list = children[d] ?? (children[d] = []);
        if (!list.includes(id)) list.push(id);
        list.sort();
      }
    }
  }

  const docsRel = (f: string) => relativeToRoots(f, [...paths.docs, ...paths.models]);
  return {
    metadata,
    nodes,
    sources,
    macros: Object.fromEntries(
      macros.map((m) => [
        m.uniqueId,
        {
          name: m.name,
          resource_type: 'macro',
          package_name: m.packageName,
          // (dbt's path of a macro is its file's in the project or package, macros/ included)
          path: m.builtin ? m.file : inPackage(m.file, m.packageName),
          original_file_path: m.builtin ? m.file : inPackage(m.file, m.packageName),
          unique_id: m.uniqueId,
          macro_sql: m.sql,
          depends_on: { macros: macroDeps(m) },
          description: '',
          meta: {},
          docs: { show: true, node_color: null },
          patch_path: null,
          arguments: m.args.map((name) => ({ name, type: null, description: '' })),
          created_at: createdAt,
          supported_languages: null,
        },
      ]),
    ),
    docs: Object.fromEntries(
      [...c.project.docs].map(([k, v]) => [
        `doc.${p}.${k}`,
        { name: k, resource_type: 'doc', package_name: p, path: docsRel(v.file), original_file_path: v.file, unique_id: `doc.${p}.${k}`, block_contents: v.text },
      ]),
    ),
    exposures: semantic.exposures,
    metrics: semantic.metrics,
    groups: semantic.groups,
    selectors: {},
    disabled,
    parent_map: parents,
    child_map: children,
    group_map: groupMap(semantic.groups, nodes, semantic.saved_queries, semantic.semantic_models, semantic.metrics),
    saved_queries: semantic.saved_queries,
    semantic_models: semantic.semantic_models,
    unit_tests: unitTests,
  };
}
