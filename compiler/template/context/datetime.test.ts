import { beforeAll, describe, expect, it } from 'vitest';
import { baseContextMembers } from './base-context.js';
import { DATETIME_CASES } from './testing/cases-datetime.js';
import { comparable, dbtOutcomes } from './testing/differential.js';
import { harnessBuiltins, runCase, type Outcome } from './testing/py-expr.js';

describe('modules.datetime matches dbt-core', () => {
  let ref: Outcome[] = [];
  beforeAll(async () => {
    ref = await dbtOutcomes(DATETIME_CASES);
  }, 900_000);
  const scope = { ...harnessBuiltins(), ...baseContextMembers() };
  it.each(DATETIME_CASES.map((c, i) => [c, i] as const))('%s', (c, i) => {
    expect(comparable(runCase(c, scope))).toEqual(comparable(ref[i]!));
  });
});
