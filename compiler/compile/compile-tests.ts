import { TxError, didYouMean } from '../errors.js';
import type { Dag } from '../graph/dag.js';
import type { ColumnProps, NodeConfig, Project, TestSpec } from '../load/project-types.js';
import type { TemplateEngine } from '../template/template-engine.js';
import type { Dialect } from '../../targets/target.js';
import type { GraphNode, TestNodeInfo } from './nodes.js';
import { lineOfCall, sha } from './compile-project.js';
import { relationValue, splitArgs } from './template-context.js';

const tagsOf = (c: NodeConfig): string[] => (Array.isArray(c.tags) ? c.tags.map(String) : c.tags ? [String(c.tags)] : []);

function testConfigOf(spec: TestSpec, defaults: Record<string, unknown>): Record<string, unknown> {
  return { ...defaults, ...spec.config };
}

/** Data tests as graph nodes: generic ones from properties files, singular ones from the tests folder. */
export function compileTests(
  project: Project,
  nodes: Map<string, GraphNode>,
  dag: Dag,
  byName: Map<string, string>,
  sourceIds: Map<string, string>,
  engine: TemplateEngine,
  dialect: Dialect,
): void {
  const p = project.name;
  const used = new Set<string>();
  const testMacros = [...engine.macros.keys()].filter((m) => m.startsWith('test_')).map((m) => m.slice(5));
  const add = (attached: GraphNode, spec: TestSpec, columns: ColumnProps[]) => {
    const testName = spec.name.includes('.') ? spec.name.split('.').pop()! : spec.name;
    const macro = engine.getGlobal(`test_${testName}`) as ((...a: unknown[]) => unknown) | undefined;
    if (typeof macro !== 'function') {
      throw new TxError('PROJECT', `unknown test \`${spec.name}\``, { file: spec.file, line: spec.line, hint: didYouMean(testName, testMacros) ?? `known tests: ${testMacros.join(', ')}` });
    }
    if (spec.column && columns.length && !columns.some((c) => c.name === spec.column)) {
      // Columns are declared in properties; a column test names one of them by construction.
    }
    const config = testConfigOf(spec, {});
    if (config.enabled === false) return;
    const deps = new Set<string>([attached.uniqueId]);
    // Arguments may hold ref()/source() expressions, rendered like dbt does.
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec.args)) {
      if (typeof v === 'string' && /^\s*(ref|source)\s*\(/.test(v)) {
        const m = /^\s*ref\s*\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(v);
        const s = /^\s*source\s*\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(v);
        const id = m ? byName.get(m[1]!) : s ? sourceIds.get(`${s[1]}.${s[2]}`) : undefined;
        if (!id) throw new TxError('REF', `test \`${spec.name}\` argument \`${k}\` refers to \`${v}\`, which does not exist`, { file: spec.file, line: spec.line, hint: m ? didYouMean(m[1]!, byName.keys()) : undefined });
        deps.add(id);
        args[k] = relationValue(nodes.get(id)!.relation!, dialect);
      } else args[k] = v;
    }
    let model: unknown = relationValue(attached.relation!, dialect);
    if (typeof config.where === 'string') model = `(select * from ${String(model)} where ${config.where}) as tx_subquery`;
    const callArgs: Record<string, unknown> = { ...args, model };
    if (spec.column) callArgs.column_name = dialect.quoteIdentifier(spec.column);
    let sql: string;
    try {
      sql = String(macro(kw(callArgs)) ?? '');
    } catch (e) {
      throw e instanceof TxError ? new TxError(e.code, e.message, { file: spec.file, line: spec.line, hint: e.hint }) : new TxError('TEMPLATE', `test \`${spec.name}\` failed to render: ${(e as Error).message}`, { file: spec.file, line: spec.line });
    }
    let base = [testName, attached.name, spec.column].filter(Boolean).join('_').replace(/[^A-Za-z0-9_]/g, '_');
    if (Object.keys(spec.args).length) base += `_${sha(JSON.stringify(spec.args)).slice(0, 8)}`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    const id = `test.${p}.${name}`;
    const info: TestNodeInfo = {
      kind: 'generic',
      testName,
      args: spec.args,
      column: spec.column,
      attachedTo: attached.uniqueId,
      spec,
      severity: String(config.severity ?? 'error').toLowerCase() === 'warn' ? 'warn' : 'error',
    };
    nodes.set(id, {
      uniqueId: id,
      resourceType: 'test',
      name,
      path: spec.file,
      fqn: [p, name],
      folders: [],
      config: { ...config, tags: [...new Set([...(attached.tags ?? []), ...tagsOf(config as NodeConfig)])] },
      tags: [...new Set([...attached.tags, ...tagsOf(config as NodeConfig)])],
      description: '',
      columns: [],
      compiledSql: sql.trim(),
      checksum: sha(sql),
      dependsOn: [...deps],
      refs: [],
      sources: [],
      test: info,
    });
    dag.add(id, [...deps]);
  };
  const kw = (o: Record<string, unknown>) => ({ ...o, __keywords: true });
  for (const n of [...nodes.values()]) {
    if (n.resourceType === 'test') continue;
    const specs: TestSpec[] = [];
    if (n.resourceType === 'model') {
      const props = project.modelProps.get(n.name);
      if (props) specs.push(...props.tests, ...props.columns.flatMap((c) => c.tests));
    } else if (n.resourceType === 'seed') {
      const props = project.seedProps.get(n.name);
      if (props) specs.push(...props.tests, ...props.columns.flatMap((c) => c.tests));
    } else if (n.source) specs.push(...n.source.tests, ...n.source.columns.flatMap((c) => c.tests));
    if (n.resourceType === 'model' && n.config.materialized === 'ephemeral' && specs.length) {
      throw new TxError('PROJECT', `model \`${n.name}\` is ephemeral and cannot have tests (it is not a relation)`, { file: specs[0]!.file, line: specs[0]!.line });
    }
    for (const spec of specs) add(n, spec, n.columns);
  }
  // singular tests: tests/**/*.sql, rendered like models
  for (const f of project.singularTests) {
    const refs: string[] = [];
    const srcs: string[] = [];
    engine.setGlobal('ref', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      const name = String(pos.length > 1 ? pos[1] : pos[0]);
      const id = byName.get(name);
      if (!id) throw new TxError('REF', `test \`${f.name}\` refers to \`${name}\`, which does not exist`, { file: f.path, line: lineOfCall(f.text, 'ref', name), hint: didYouMean(name, byName.keys()) });
      refs.push(id);
      return relationValue(nodes.get(id)!.relation!, dialect);
    });
    engine.setGlobal('source', (...args: unknown[]) => {
      const { pos } = splitArgs(args);
      const id = sourceIds.get(`${String(pos[0])}.${String(pos[1])}`);
      if (!id) throw new TxError('REF', `test \`${f.name}\` uses source \`${String(pos[0])}.${String(pos[1])}\`, which is not declared`, { file: f.path });
      srcs.push(id);
      return relationValue(nodes.get(id)!.relation!, dialect);
    });
    const captured: Record<string, unknown> = {};
    engine.setGlobal('config', Object.assign((...args: unknown[]) => (Object.assign(captured, splitArgs(args).kw), ''), { get: (k: string, d?: unknown) => captured[k] ?? d }));
    const sql = engine.render(engine.prepare(f.text, f.path)).trim();
    const config = { ...captured };
    if (config.enabled === false) continue;
    const id = `test.${p}.${f.name}`;
    if (nodes.has(id)) throw new TxError('DUPLICATE', `two tests are named \`${f.name}\``, { file: f.path });
    const deps = [...new Set([...refs, ...srcs])];
    nodes.set(id, {
      uniqueId: id,
      resourceType: 'test',
      name: f.name,
      path: f.path,
      fqn: [p, ...f.folders.slice(1), f.name],
      folders: f.folders,
      config,
      tags: tagsOf(config as NodeConfig),
      description: '',
      columns: [],
      rawSql: f.text,
      compiledSql: sql.replace(/;\s*$/, ''),
      checksum: sha(f.text),
      dependsOn: deps,
      refs: [],
      sources: [],
      test: { kind: 'singular', severity: String(config.severity ?? 'error').toLowerCase() === 'warn' ? 'warn' : 'error', attachedTo: deps[0] },
    });
    dag.add(id, deps);
  }
}
