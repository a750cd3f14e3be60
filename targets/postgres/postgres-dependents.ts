/**
 * Views that depend on a relation tx is about to replace.
 *
 * PostgreSQL binds a view to the oid of the table it reads, not to its name: dropping the table
 * drops (CASCADE) or blocks (RESTRICT) its views, and a renamed-in replacement is never picked up.
 * So before a swap tx captures every view and materialized view that (transitively) reads the
 * relation (definition, options, comments, grants, owner, matview indexes), drops them, swaps,
 * and recreates them, all in the caller's transaction: readers see the old set or the new set,
 * and a view that no longer fits the new columns fails the whole swap, leaving everything as it was.
 */
import { TargetError } from '../target.js';
import type { PgClient } from './postgres-connection.js';
import { postgresDialect as d } from './postgres-dialect.js';

export interface Grant {
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface DependentView {
  oid: number;
  schema: string;
  name: string;
  materialized: boolean;
  populated: boolean;
  depth: number;
  definition: string;
  options: string[];
  comment: string | null;
  columnComments: { column: string; comment: string }[];
  grants: Grant[];
  /** The owner's role name when it is not the current user. */
  owner: string | null;
  indexes: string[];
}

const q = d.quoteIdentifier;

/** Runs `fn` with search_path empty (transaction-local), so pg_get_viewdef and our DDL spell every name in full. */
async function withEmptySearchPath<T>(c: PgClient, fn: () => Promise<T>): Promise<T> {
  const prev = (await c.rows<{ p: string }>(`SELECT pg_catalog.current_setting('search_path') AS p`))[0]!.p;
  await c.run(`SELECT pg_catalog.set_config('search_path', '', true)`);
  try {
    return await fn();
  } finally {
    if (!c.broken) await c.run(`SELECT pg_catalog.set_config('search_path', $1, true)`, { params: [prev] }).catch(() => undefined);
  }
}

/** Grants on a relation other than its owner's implicit ones. */
export async function captureGrants(c: PgClient, oid: number): Promise<Grant[]> {
  const rows = await c.rows<{ grantee: string; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_catalog.pg_class c
       CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
       LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
      WHERE c.oid = $1::oid AND a.grantee <> c.relowner`,
    [oid],
  );
  return rows;
}

/** Re-applies grants to `relationSql` (already quoted). */
export async function applyGrants(c: PgClient, relationSql: string, grants: Grant[]): Promise<void> {
  for (const g of grants) {
    await c.run(`GRANT ${g.privilege} ON ${relationSql} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
  }
}

/** Every view and materialized view reading `oid`, directly or through other views, shallowest first. */
export async function captureDependents(c: PgClient, oid: number): Promise<DependentView[]> {
  return withEmptySearchPath(c, async () => {
    const rows = await c.rows<{
      oid: number;
      schema: string;
      name: string;
      relkind: string;
      populated: boolean;
      depth: number;
      definition: string;
      options: string[] | null;
      comment: string | null;
      owner: string | null;
    }>(
      `WITH RECURSIVE deps(oid, depth) AS (
         SELECT r.ev_class, 1
           FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
          WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            AND d.refobjid = $1::oid AND r.ev_class <> $1::oid AND r.rulename = '_RETURN'
         UNION ALL
         SELECT r.ev_class, deps.depth + 1
           FROM deps JOIN pg_catalog.pg_depend d ON d.refobjid = deps.oid
           JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
          WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            AND r.ev_class <> deps.oid AND r.rulename = '_RETURN' AND deps.depth < 64
       )
       SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.relispopulated AS populated,
              max(deps.depth) AS depth, pg_catalog.pg_get_viewdef(c.oid) AS definition, c.reloptions AS options,
              pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
              CASE WHEN c.relowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
                   THEN pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)) END AS owner
         FROM deps JOIN pg_catalog.pg_class c ON c.oid = deps.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm')
        GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.relispopulated, c.reloptions, c.relowner
        ORDER BY max(deps.depth), n.nspname, c.relname`,
      [oid],
    );
    const out: DependentView[] = [];
    for (const r of rows) {
      const columnComments = await c.rows<{ column: string; comment: string }>(
        `SELECT a.attname AS column, pg_catalog.col_description(a.attrelid, a.attnum) AS comment
           FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND pg_catalog.col_description(a.attrelid, a.attnum) IS NOT NULL`,
        [r.oid],
      );
      const indexes =
        r.relkind === 'm'
          ? (await c.rows<{ def: string }>(`SELECT pg_catalog.pg_get_indexdef(indexrelid) AS def FROM pg_catalog.pg_index WHERE indrelid = $1::oid`, [r.oid])).map((x) => x.def)
          : [];
      out.push({
        oid: Number(r.oid),
        schema: r.schema,
        name: r.name,
        materialized: r.relkind === 'm',
        populated: r.populated,
        depth: Number(r.depth),
        definition: r.definition.trim().replace(/;\s*$/, ''),
        options: r.options ?? [],
        comment: r.comment,
        columnComments,
        grants: await captureGrants(c, Number(r.oid)),
        owner: r.owner,
        indexes,
      });
    }
    return out;
  });
}

function nameOf(v: DependentView): string {
  return `${q(v.schema)}.${q(v.name)}`;
}

/** Drops captured views, deepest first, without CASCADE: anything else depending on them makes this fail loudly. */
export async function dropDependents(c: PgClient, deps: DependentView[]): Promise<void> {
  for (const v of [...deps].reverse()) await c.run(`DROP ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${nameOf(v)}`);
}

function withOptions(options: string[]): string {
  if (!options.length) return '';
  const parts = options.map((o) => {
    const eq = o.indexOf('=');
    return eq < 0 ? o : `${o.slice(0, eq)} = ${d.literal(o.slice(eq + 1))}`;
  });
  return ` WITH (${parts.join(', ')})`;
}

/** Recreates captured views, shallowest first; a view that no longer fits fails with its name. */
export async function recreateDependents(c: PgClient, deps: DependentView[]): Promise<void> {
  if (!deps.length) return;
  await withEmptySearchPath(c, async () => {
    for (const v of deps) {
      const name = nameOf(v);
      try {
        if (v.materialized) {
          await c.run(`CREATE MATERIALIZED VIEW ${name}${withOptions(v.options)} AS\n${v.definition}\nWITH ${v.populated ? '' : 'NO '}DATA`);
        } else {
          await c.run(`CREATE VIEW ${name}${withOptions(v.options)} AS\n${v.definition}`);
        }
      } catch (e) {
        throw new TargetError(
          `the dependent ${v.materialized ? 'materialized view' : 'view'} ${name} cannot be recreated on the new version, so nothing was replaced: ${(e as Error).message}\n  its definition: ${v.definition.replace(/\s+/g, ' ').slice(0, 500)}`,
          { cause: e },
        );
      }
      for (const idx of v.indexes) await c.run(idx);
      if (v.comment !== null) await c.run(`COMMENT ON ${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} IS ${d.literal(v.comment)}`);
      for (const cc of v.columnComments) await c.run(`COMMENT ON COLUMN ${name}.${q(cc.column)} IS ${d.literal(cc.comment)}`);
      await applyGrants(c, name, v.grants);
      if (v.owner) await setOwner(c, `${v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name}`, v.owner);
    }
  });
}

/** ALTER ... OWNER TO, kept from failing the swap when the current user may not give objects away. */
export async function setOwner(c: PgClient, objectSql: string, ownerSql: string): Promise<void> {
  await c.run('SAVEPOINT tx_owner');
  try {
    await c.run(`ALTER ${objectSql} OWNER TO ${ownerSql}`);
    await c.run('RELEASE SAVEPOINT tx_owner');
  } catch {
    await c.run('ROLLBACK TO SAVEPOINT tx_owner');
  }
}

/**
 * Runs `fn` (inside the caller's transaction) with every view on `oid` dropped, then recreates them.
 * `fn` may drop and replace the relation itself, or change its columns.
 */
export async function withDependentsDetached<T>(c: PgClient, oid: number, fn: () => Promise<T>): Promise<T> {
  const deps = await captureDependents(c, oid);
  await dropDependents(c, deps);
  const r = await fn();
  await recreateDependents(c, deps);
  return r;
}
