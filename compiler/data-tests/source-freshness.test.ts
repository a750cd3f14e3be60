/** `tx source freshness` on a real DuckDB file: pass, warn (exit 0), stale (exit 1), bad config (exit 2). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture } from './test-fixture.js';

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString().replace('T', ' ').replace('Z', '');

function sources(ordersFreshness: string, extra = ''): string {
  return `
    sources:
      - name: shop
        loaded_at_field: loaded_at
        freshness:
          warn_after: {count: 1, period: day}
        tables:
          - name: customers
          - name: orders
            freshness:
${ordersFreshness
  .split('\n')
  .map((l) => `              ${l}`)
  .join('\n')}
${extra}
    `;
}

describe('tx source freshness', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = new Fixture({ 'models/sources.yml': sources('warn_after: {count: 1, period: hour}\nerror_after: {count: 3, period: hour}') });
    // orders were last loaded 2 hours ago, customers 10 minutes ago
    await fx.exec(`
      create schema shop;
      create table shop.orders as select * from (values (1, timestamp '${hoursAgo(5)}'), (2, timestamp '${hoursAgo(2)}')) as t(id, loaded_at);
      create table shop.customers as select 1 as id, timestamp '${hoursAgo(1 / 6)}' as loaded_at;
    `);
  });
  afterAll(() => fx.cleanup());

  it('warns when older than warn_after and exits 0; writes target/sources.json', () => {
    const r = fx.tx('source', 'freshness');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/PASS freshness of shop\.customers: last loaded 10m ago .* \(warn after 1 day\)/);
    expect(r.output).toMatch(/WARN freshness of shop\.orders: last loaded 2h 0m ago .* \(warn after 1 hour, error after 3 hours\)/);
    expect(r.output).toMatch(/PASS=1 WARN=1 ERROR=0/);
    const out = JSON.parse(fx.read('target/sources.json')) as { results: { unique_id: string; status: string; max_loaded_at_time_ago_in_s: number; criteria: unknown }[] };
    const orders = out.results.find((x) => x.unique_id === 'source.fx.shop.orders')!;
    expect(orders.status).toBe('warn');
    expect(Math.abs(orders.max_loaded_at_time_ago_in_s - 7200)).toBeLessThan(120);
    expect(orders.criteria).toEqual({ warn_after: { count: 1, period: 'hour' }, error_after: { count: 3, period: 'hour' }, filter: null });
  });

  it('is an error past error_after (exit 1); --select narrows the sources; filter applies', () => {
    fx.write('models/sources.yml', sources('warn_after: {count: 30, period: minute}\nerror_after: {count: 90, period: minute}'));
    const r = fx.tx('source', 'freshness', '--select', 'source:shop.orders');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/1 of 1 STALE freshness of shop\.orders: last loaded 2h 0m ago/);
    // only the row loaded 5 hours ago
    fx.write('models/sources.yml', sources('error_after: {count: 4, period: hour}\nfilter: "id = 1"'));
    const f = fx.tx('source', 'freshness', '--select', 'source:shop.orders');
    expect(f.code).toBe(1);
    expect(f.output).toMatch(/STALE freshness of shop\.orders: last loaded 5h 0m ago/);
  });

  it('a table that does not exist is an error (exit 1)', () => {
    fx.write('models/sources.yml', sources('error_after: {count: 1, period: day}', '          - name: refunds\n            loaded_at_field: at\n            freshness: {warn_after: {count: 1, period: day}}'));
    const r = fx.tx('source', 'freshness', '--select', 'source:shop.refunds');
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/ERROR freshness of shop\.refunds \(models\/sources\.yml:\d+\): shop\.refunds does not exist/);
  });

  it('bad freshness config is a project error (exit 2) naming the file and line', () => {
    fx.write('models/sources.yml', sources('error_after: {count: 1, period: fortnight}'));
    let r = fx.tx('source', 'freshness');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/sources\.yml:\d+: `freshness\.error_after` of source `shop\.orders` has period `fortnight`; use minute, hour or day/);
    fx.write('models/sources.yml', sources('error_after: {count: 1, period: day}').replace('        loaded_at_field: loaded_at\n', ''));
    r = fx.tx('source', 'freshness');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/sources\.yml:\d+: source `shop\.customers` has freshness rules but no `loaded_at_field`/);
  });
});
