/**
 * What targets/postgres/README.md promises of a dependent view across a table swap, each
 * checked in the catalog after the swap: its owner (when it is not tx's user), a grant made
 * WITH GRANT OPTION, and a materialized view created WITH NO DATA that stays unpopulated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, pgFixture, rel, type PgFixture } from './postgres-test-support.js';

let f: PgFixture;
const suffix = `${process.pid}_${Date.now() % 100000}`;
const owner = `tx_dep_owner_${suffix}`;
const reader = `tx_dep_reader_${suffix}`;

beforeAll(async () => {
  f = await pgFixture('tx_pg_dep');
  await f.session.ensureSchema('tx_dep');
  for (const r of [owner, reader]) await f.admin.query(`create role ${r}`);
  // tx's user may give objects to `owner` (it is a member), as a deployment user would be
  await f.admin.query(`grant ${owner} to current_user`);
  await f.admin.query(`grant usage, create on schema tx_dep to ${owner}`);
});
afterAll(async () => {
  if (!f) return;
  for (const r of [owner, reader]) {
    await f.admin.query(`drop owned by ${r} cascade`).catch(() => undefined);
    await f.admin.query(`drop role if exists ${r}`).catch(() => undefined);
  }
  await f.close();
});

interface Catalog {
  oid: number;
  owner: string;
  populated: boolean;
  grants: { grantee: string; privilege: string; grantable: boolean }[];
}

async function catalog(relation: string): Promise<Catalog> {
  const [c] = await f.rows<{ oid: number; owner: string; populated: boolean }>(
    `select c.oid::int as oid, pg_get_userbyid(c.relowner) as owner, c.relispopulated as populated from pg_class c where c.oid = $1::regclass`,
    [relation],
  );
  const grants = await f.rows<{ grantee: string; privilege: string; grantable: boolean }>(
    `select coalesce(r.rolname, 'PUBLIC') as grantee, a.privilege_type as privilege, a.is_grantable as grantable
       from pg_class c cross join lateral aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee
      where c.oid = $1::regclass and a.grantee <> c.relowner order by 1, 2`,
    [relation],
  );
  return { ...c!, grants };
}

describe('dependent views across a table swap', () => {
  it('keep their owner, their grants WITH GRANT OPTION, and an unpopulated materialized view stays unpopulated', async () => {
    const t = rel('base', 'tx_dep');
    await f.session.materialize(build(t, 'select 1 as id, 10 as amount'));
    // the views' owner reads the table through them: a table grant, kept by the swap too
    await f.admin.query(`grant select on tx_dep.base to ${owner}`);
    await f.admin.query(`create view tx_dep.v_owned as select id, amount from tx_dep.base`);
    await f.admin.query(`alter view tx_dep.v_owned owner to ${owner}`);
    await f.admin.query(`grant select on tx_dep.v_owned to ${reader} with grant option`);
    await f.admin.query(`create materialized view tx_dep.mv_nodata as select sum(amount) as total from tx_dep.base with no data`);
    await f.admin.query(`alter materialized view tx_dep.mv_nodata owner to ${owner}`);
    await f.admin.query(`create materialized view tx_dep.mv_data as select count(*)::int as n from tx_dep.base`);

    const before = { v: await catalog('tx_dep.v_owned'), nodata: await catalog('tx_dep.mv_nodata'), data: await catalog('tx_dep.mv_data') };
    expect(before.v).toMatchObject({ owner, grants: [{ grantee: reader, privilege: 'SELECT', grantable: true }] });
    expect(before.nodata).toMatchObject({ owner, populated: false });

    // a rebuild with other rows and an extra column: drop, swap, recreate
    await f.session.materialize(build(t, 'select g as id, g * 100 as amount, true as extra from generate_series(1, 3) g'));

    const after = { v: await catalog('tx_dep.v_owned'), nodata: await catalog('tx_dep.mv_nodata'), data: await catalog('tx_dep.mv_data') };
    // they were recreated (new objects), not left behind on the dropped table
    expect(after.v.oid).not.toBe(before.v.oid);
    expect(after.nodata.oid).not.toBe(before.nodata.oid);
    expect(after.v.owner).toBe(owner);
    expect(after.v.grants).toEqual([{ grantee: reader, privilege: 'SELECT', grantable: true }]);
    expect(after.nodata.owner).toBe(owner);
    expect(after.nodata.populated).toBe(false);
    expect(after.data.populated).toBe(true);
    // and they read the new table
    expect(await f.rows(`select id, amount from tx_dep.v_owned order by id`)).toEqual([
      { id: 1, amount: 100 },
      { id: 2, amount: 200 },
      { id: 3, amount: 300 },
    ]);
    expect(await f.rows(`select n from tx_dep.mv_data`)).toEqual([{ n: 3 }]);
    await f.admin.query(`refresh materialized view tx_dep.mv_nodata`);
    expect(await f.rows(`select total::int as total from tx_dep.mv_nodata`)).toEqual([{ total: 600 }]);
  });
});
