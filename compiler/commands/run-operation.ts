/**
 * `tx run-operation MACRO --args YAML`: call a macro with `execute` true against the target (its
 * run_query / statement / adapter calls reach the warehouse), and report each statement it ran.
 */
import type { CompiledProject } from '../compile/compile-project.js';
import type { WarehouseBridge } from '../compile/dbt-context.js';
import { TxError, closest } from '../errors.js';
import { parse as parseYaml } from 'yaml';
import { parseYaml as parseDbtYaml } from '../load/yaml-file.js';
import { macroBlocks } from '../artifacts/dbt-macros.js';
import type { Logger } from '../log/logger.js';
import { bridgeFor } from '../run/sync-warehouse.js';

/** A bridge that remembers every statement the macro sent. */
function recording(b: WarehouseBridge, sent: string[]): WarehouseBridge {
  return {
    query: (sql) => (sent.push(sql), b.query(sql)),
    execute: (sql) => (sent.push(sql), b.execute(sql)),
    columns: (r) => b.columns(r),
    relationType: (r) => b.relationType(r),
    drop: (r) => b.drop(r),
    createSchema: (r) => b.createSchema(r),
  };
}

/** Jinja string literal of `s` (single quotes). */
const jinjaString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function runOperation(c: CompiledProject, macro: string, argsText: string | undefined, logger: Logger): Promise<{ statements: string[]; output: string }> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(macro)) throw new TxError('USAGE', `run-operation: \`${macro}\` is not a macro name`);
  let args: unknown = {};
  if (argsText) {
    try {
      // as dbt reads --args (PyYAML) in a dbt project
      args = (c.project.projectFile === 'dbt_project.yml' ? parseDbtYaml(argsText, '--args', 'pyyaml').value : parseYaml(argsText)) ?? {};
    } catch (e) {
      throw new TxError('USAGE', `--args is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { hint: `e.g. --args '{table: orders, days: 7}'` });
    }
    if (typeof args !== 'object' || Array.isArray(args)) throw new TxError('USAGE', '--args must be a mapping of the macro\'s arguments', { hint: `e.g. --args '{table: orders}'` });
  }
  const defined = c.renderString(`{% if ${macro} is defined %}yes{% endif %}`, 'run-operation').trim() === 'yes';
  if (!defined) {
    const names = c.project.macros.flatMap((f) => macroBlocks(f.text).map((b) => b.name)).filter((n) => !n.startsWith('test_'));
    const near = closest(macro, names);
    throw new TxError('USAGE', `run-operation: no macro named \`${macro}\``, { hint: near.length ? `did you mean ${near.map((n) => `\`${n}\``).join(', ')}?` : names.length ? `macros: ${names.join(', ')}` : 'the project defines no macros (macros/*.sql)' });
  }
  const statements: string[] = [];
  const bridge = bridgeFor(c);
  c.useWarehouse(() => recording(bridge, statements));
  try {
    const output = c.renderString(`{{ ${macro}(**fromjson(${jinjaString(JSON.stringify(args))})) }}`, `run-operation ${macro}`).trim();
    for (const s of statements) logger.info(`  ran: ${s.trim().split('\n')[0]!.slice(0, 200)}`);
    logger.info(`Ran macro ${macro}: ${statements.length} statement${statements.length === 1 ? '' : 's'} against target ${c.target.name}`);
    return { statements, output };
  } finally {
    await bridge.close();
  }
}
