/**
 * Build step: compile the shipped JSON Schemas into standalone validator code
 * (dist/validators.cjs), so tx does not spend a few hundred milliseconds compiling
 * them with ajv at every start. `npm run build` runs it after tsc.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { packageRoot } from './package-root.js';
import { loadSchema } from './validate.js';

export const VALIDATOR_DEFS = ['model_config', 'seed_config', 'test_config'] as const;

const project = loadSchema('project');
const properties = loadSchema('properties');
const definitions = project.definitions as Record<string, object>;
const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true, code: { source: true } });
ajv.addSchema(project, 'project');
ajv.addSchema(properties, 'properties');
for (const d of VALIDATOR_DEFS) ajv.addSchema({ ...definitions[d], definitions }, `def:${d}`);
const code = (standaloneCode as unknown as (a: Ajv, refs: Record<string, string>) => string)(ajv, {
  project: 'project',
  properties: 'properties',
  ...Object.fromEntries(VALIDATOR_DEFS.map((d) => [`def:${d}`, `def:${d}`])),
});
const out = join(packageRoot(), 'dist', 'validators.cjs');
writeFileSync(out, code);
console.log(`wrote ${out}`);
