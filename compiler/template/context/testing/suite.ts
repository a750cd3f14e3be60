/** A vitest suite comparing each case's outcome here with dbt-core's (one Python run per suite). */
import { beforeAll, describe, expect, it } from 'vitest';
import { baseContextMembers } from '../base-context.js';
import { comparable, dbtOutcomes } from './differential.js';
import { harnessBuiltins, runCase, type Outcome } from './py-expr.js';

export function differentialSuite(title: string, cases: readonly string[]): void {
  describe(title, () => {
    let ref: Outcome[] = [];
    beforeAll(async () => {
      ref = await dbtOutcomes(cases);
    }, 900_000);
    const scope = { ...harnessBuiltins(), ...baseContextMembers() };
    it.each(cases.map((c, i) => [c, i] as const))('%s', (c, i) => {
      expect(comparable(runCase(c, scope))).toEqual(comparable(ref[i]!));
    });
  });
}
