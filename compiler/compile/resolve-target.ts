import { cpus } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { TxError, didYouMean } from '../errors.js';
import type { Project } from '../load/project-types.js';
import type { TemplateEngine } from '../template/template-engine.js';
import type { TargetConfig } from '../../targets/target.js';
import { targetTypes } from '../../targets/registry.js';
import { allowSecretEnvVars, isSecretConfigKey, registerTargetSecrets } from '../log/scrub.js';
import { defaultDuckdbPath } from '../load/default-warehouse.js';

/** Keys whose values are secrets: rendered for the driver, never written anywhere. */
export const SECRET_KEYS = new Set(['password', 'token', 'secret', 'account_key', 'sas', 'connection_string', 'private_key']);

export interface ResolvedTarget {
  name: string;
  config: TargetConfig;
  /** What templates see as `target` and artifacts record: no secrets. */
  public: Record<string, unknown>;
}

/** Pick the target (`--target` or the project's default) and render its values (`env_var()`, `var()`). */
export function resolveTarget(project: Project, requested: string | undefined, engine: TemplateEngine): ResolvedTarget {
  const name = requested ?? process.env.TX_TARGET ?? project.defaultTarget;
  const raw = project.targets[name];
  if (!raw) {
    const file = project.profilesFile ?? project.projectFile ?? 'project.yml';
    throw new TxError('TARGET', `unknown target \`${name}\``, {
      file,
      hint: didYouMean(name, Object.keys(project.targets)) ?? `targets in ${file}: ${Object.keys(project.targets).join(', ') || '(none)'}`,
    });
  }
  const config: Record<string, unknown> = {};
  // a dbt project's targets come from profiles.yml (dbt's key names, under `outputs`)
  const where = (k: string): string =>
    project.profilesFile ? `${project.profilesFile} (outputs.${name}.${k === 'password' ? 'pass' : k === 'database' ? 'dbname' : k})` : `project.yml (targets.${name}.${k})`;
  for (const [k, v] of Object.entries(raw)) {
    config[k] = typeof v === 'string' ? allowSecretEnvVars(() => engine.renderString(v, where(k))) : v;
  }
  const type = String(config.type);
  if (!targetTypes().includes(type)) {
    throw new TxError('TARGET', `target \`${name}\` has unknown type \`${type}\``, { file: 'project.yml', hint: didYouMean(type, targetTypes()) });
  }
  if (type === 'duckdb') {
    const path = String(config.path ?? defaultDuckdbPath(project.dir, project.name, project.targetPath).path);
    config.path = path === ':memory:' || isAbsolute(path) ? path : join(project.dir, path);
    config.schema ??= 'main';
  }
  config.threads = Number(config.threads ?? (type === 'duckdb' ? cpus().length : 4));
  registerTargetSecrets(config, `targets.${name}`);
  const pub: Record<string, unknown> = { name, profile_name: project.name };
  for (const [k, v] of Object.entries(config)) if (!SECRET_KEYS.has(k) && !isSecretConfigKey(k)) pub[k] = v;
  return { name, config: config as TargetConfig, public: pub };
}
