/**
 * The DAG on its own: adjacency, reachability with depth, cycles named whole, topological order.
 * (It was tested only through selection and compile suites; its mutation score showed the gaps.)
 */
import { describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { Dag } from './dag.js';

/** a → b → d, a → c → d, e alone (edges run from a dependency to its dependent). */
function diamond(): Dag {
  const g = new Dag();
  g.add('b', ['a']);
  g.add('c', ['a']);
  g.add('d', ['b', 'c']);
  g.add('e', []);
  return g;
}

describe('Dag', () => {
  it('adds nodes and their dependencies, once each', () => {
    const g = new Dag();
    g.add('m', ['x', 'x', 'y']);
    g.add('m', ['x']);
    expect(g.nodes()).toEqual(['m', 'x', 'y']);
    expect(g.parents('m')).toEqual(['x', 'y']);
    expect(g.children('x')).toEqual(['m']);
    expect(g.children('y')).toEqual(['m']);
    expect(g.parents('x')).toEqual([]);
    expect(g.has('m')).toBe(true);
    expect(g.has('x')).toBe(true);
    expect(g.has('nope')).toBe(false);
    expect(g.parents('nope')).toEqual([]);
    expect(g.children('nope')).toEqual([]);
  });

  it('upstream and downstream, whole or to a depth', () => {
    const g = diamond();
    g.add('f', ['d']);
    expect([...g.upstream('f')].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...g.upstream('f', 1)]).toEqual(['d']);
    expect([...g.upstream('f', 2)].sort()).toEqual(['b', 'c', 'd']);
    expect([...g.upstream('f', 0)]).toEqual([]);
    expect([...g.downstream('a')].sort()).toEqual(['b', 'c', 'd', 'f']);
    expect([...g.downstream('a', 1)].sort()).toEqual(['b', 'c']);
    expect([...g.downstream('e')]).toEqual([]);
    expect([...g.upstream('a')]).toEqual([]);
    // a node is not its own ancestor
    expect(g.upstream('d').has('d')).toBe(false);
  });

  it('walks a graph with a cycle without looping', () => {
    const g = new Dag();
    g.add('a', ['c']);
    g.add('b', ['a']);
    g.add('c', ['b']);
    expect([...g.downstream('a')].sort()).toEqual(['a', 'b', 'c']);
  });

  it('orders topologically, roots by id, restricted to a subset when asked', () => {
    const g = diamond();
    expect(g.order()).toEqual(['a', 'e', 'b', 'c', 'd']);
    expect(g.order(new Set(['d', 'a', 'e']))).toEqual(['a', 'e', 'd']);
    expect(g.order(new Set())).toEqual([]);
    const order = g.order();
    for (const n of g.nodes()) for (const p of g.parents(n)) expect(order.indexOf(p)).toBeLessThan(order.indexOf(n));
  });

  it('orders again after a node or edge is added, and a caller changing the order it got changes nothing', () => {
    const g = diamond();
    const first = g.order();
    first.reverse();
    first.push('x');
    expect(g.order()).toEqual(['a', 'e', 'b', 'c', 'd']);
    g.add('0', []);
    expect(g.order()).toEqual(['0', 'a', 'e', 'b', 'c', 'd']);
    g.add('a', ['d2']);
    expect(g.order()).toEqual(['0', 'd2', 'e', 'a', 'b', 'c', 'd']);
  });

  it('names the whole cycle, with labels, and a hint', () => {
    const g = new Dag();
    g.add('ok', []);
    g.add('a', ['c']);
    g.add('b', ['a']);
    g.add('c', ['b']);
    let err: TxError | undefined;
    try {
      g.assertAcyclic((id) => `<${id}>`);
    } catch (e) {
      err = e as TxError;
    }
    expect(err).toBeInstanceOf(TxError);
    expect(err!.code).toBe('CYCLE');
    expect(err!.message).toBe('the DAG has a cycle: <a> → <b> → <c> → <a>');
    expect(err!.hint).toMatch(/cannot depend on itself/);
    const self = new Dag();
    self.add('s', ['s']);
    expect(() => self.assertAcyclic()).toThrow('the DAG has a cycle: s → s');
  });

  it('accepts a DAG with shared ancestors (visited once, not a cycle) and 10,000-deep chains', () => {
    expect(() => diamond().assertAcyclic()).not.toThrow();
    const g = new Dag();
    for (let i = 1; i < 10_000; i++) g.add(`m${i}`, [`m${i - 1}`]);
    expect(() => g.assertAcyclic()).not.toThrow();
    const order = g.order();
    expect(order.length).toBe(10_000);
    expect(order[0]).toBe('m0');
    expect(order[9_999]).toBe('m9999');
    expect(g.upstream('m9999').size).toBe(9_999);
  });

  it('hands out a graphlib Graph with the same nodes and edges', () => {
    const gl = diamond().toGraphlib();
    expect(gl.isDirected()).toBe(true);
    expect(gl.nodes().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(gl.edges().map((e) => `${e.v}->${e.w}`).sort()).toEqual(['a->b', 'a->c', 'b->d', 'c->d']);
  });
});
