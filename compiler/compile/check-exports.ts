/**
 * Exports checked at compile time: every enabled entry of a model's `exports:` is parsed as the
 * run will parse it (templates rendered with the same globals), a local folder must lie under
 * an export root (lexically; symlinks are checked again when the export runs), and `target:NAME`
 * must name a configured target. A bad entry is exit 2 at `tx compile`, before anything runs,
 * instead of a failure after the model was swapped in.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { TxError, didYouMean } from '../errors.js';
import { allowSecretEnvVars } from '../log/scrub.js';
import type { Project } from '../load/project-types.js';
import { parseExportSpec } from '../../targets/exports/export-spec.js';
import type { GraphNode } from './nodes.js';

const inside = (dir: string, root: string): boolean => {
  const rel = relative(root, dir);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

export function checkExports(
  project: Project,
  nodes: Map<string, GraphNode>,
  renderString: (source: string, where: string, thisNode?: GraphNode) => string,
): void {
  const roots = project.exportRoots.map((r) => resolve(project.dir, r));
  for (const n of nodes.values()) {
    if (n.resourceType === 'test' || !n.relation || !Array.isArray(n.config.exports)) continue;
    const props = project.modelProps.get(n.name);
    const file = props?.file ?? n.path;
    const line = props?.line;
    (n.config.exports as Record<string, unknown>[]).forEach((raw, i) => {
      if (!raw || typeof raw !== 'object' || raw.enabled === false) return;
      const where = `export ${i + 1} of model \`${n.name}\``;
      let spec;
      try {
        spec = parseExportSpec(raw, {
          projectDir: project.dir,
          nodeName: n.name,
          renderTemplate: (tpl) => allowSecretEnvVars(() => renderString(tpl, `${n.path} (exports of ${n.name})`, n)),
        });
      } catch (e) {
        if (e instanceof TxError) throw new TxError(e.code, `${where}: ${e.message}`, { file: e.location.file ?? file, line: e.location.line ?? line, hint: e.hint, cause: e });
        const err = e as Error & { hint?: string };
        throw new TxError('PROJECT', `${where}: ${err.message}`, { file, line, hint: err.hint, cause: e });
      }
      if (!spec.enabled) return;
      const d = spec.destination;
      if (d.kind === 'local') {
        const dir = resolve(d.dir);
        if (!roots.some((r) => inside(dir, r))) {
          const why = roots.includes(dir) ? 'is an export root itself: export into a folder below it (set `path:`)' : 'is outside every export root';
          throw new TxError('PROJECT', `${where}: local export folder ${dir} ${why}`, {
            file,
            line,
            hint: `local exports may only write under export_roots (${project.exportRoots.join(', ') || 'none configured'}); add a root to project.yml \`export_roots:\` to allow another place`,
          });
        }
      } else if (d.kind === 'target' && !project.targets[d.target]) {
        throw new TxError('TARGET', `${where}: \`to: target:${d.target}\` names no configured target`, {
          file,
          line,
          hint: didYouMean(d.target, Object.keys(project.targets)) ?? `targets: ${Object.keys(project.targets).join(', ')}`,
        });
      }
    });
  }
}
