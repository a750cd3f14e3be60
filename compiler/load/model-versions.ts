/**
 * Model versions (`versions:` and `latest_version` of a model's properties), as dbt-core 1.10
 * reads them: version `v` is the model file `defined_in`, else `<name>_v<v>`; it takes the
 * model's config, description, columns and tests, overridden by its own (`columns:` with
 * `include`/`exclude` picks the model's columns); the latest version is `latest_version`, else
 * the greatest `v`. The files are marked (`versionOf`, `version`, `latestVersion`) and the
 * properties keyed by file name, so the compiler sees one model file per version.
 */
import { TxError, didYouMean } from '../errors.js';
import { propsKey, type ColumnProps, type ModelProps, type SqlFile } from './project-types.js';

/** dbt's ordering of versions: as numbers when both are, else as text. */
export function compareVersions(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function expandModelVersions(models: SqlFile[], modelProps: Map<string, ModelProps>, pkg?: string): SqlFile[] {
  const index = new Map(models.map((f, i) => [f.name, i]));
  const out = [...models];
  for (const [key, props] of [...modelProps]) {
    if (!props.versions?.length) continue;
    const seen = new Set<string>();
    for (const v of props.versions) {
      if (!v.v) throw new TxError('PROJECT', `a version of model \`${props.name}\` has no \`v:\``, { file: props.file, line: v.line });
      if (seen.has(v.v)) throw new TxError('DUPLICATE', `model \`${props.name}\` lists version ${v.v} twice`, { file: props.file, line: v.line });
      seen.add(v.v);
    }
    const greatest = [...seen].sort(compareVersions).pop()!;
    const latest = props.latestVersion ?? greatest;
    if (!seen.has(latest)) {
      throw new TxError('PROJECT', `latest_version ${latest} of model \`${props.name}\` is not one of its versions (${[...seen].join(', ')})`, { file: props.file, line: props.line });
    }
    modelProps.delete(key);
    for (const v of props.versions) {
      const fileName = v.definedIn ?? `${props.name}_v${v.v}`;
      const i = index.get(fileName);
      if (i === undefined) {
        throw new TxError('PROJECT', `version ${v.v} of model \`${props.name}\` has no SQL file: no model file is named ${fileName}.sql`, {
          file: props.file,
          line: v.line,
          hint: didYouMean(fileName, index.keys()) ?? `name the file ${props.name}_v${v.v}.sql, or give the version \`defined_in: <file name>\``,
        });
      }
      if (out[i]!.versionOf) throw new TxError('DUPLICATE', `${out[i]!.path} is version ${out[i]!.version} of model \`${out[i]!.versionOf}\` and also version ${v.v} of \`${props.name}\``, { file: props.file, line: v.line });
      out[i] = { ...out[i]!, versionOf: props.name, version: v.v, latestVersion: latest };
      modelProps.set(propsKey(pkg, fileName), {
        ...props,
        name: fileName,
        config: { ...props.config, ...v.config },
        description: v.description ?? props.description,
        columns: v.columns ? versionColumns(props.columns, v.columns) : props.columns,
        tests: v.tests ?? props.tests,
        versions: undefined,
        latestVersion: undefined,
        line: v.line ?? props.line,
      });
    }
  }
  return out;
}

/** A version's `columns:`: the model's columns it includes (minus those it excludes), then its own, which replace same-named ones. */
function versionColumns(model: ColumnProps[], own: NonNullable<NonNullable<ModelProps['versions']>[number]['columns']>): ColumnProps[] {
  const out: ColumnProps[] = [];
  const put = (c: ColumnProps): void => {
    const i = out.findIndex((x) => x.name.toLowerCase() === c.name.toLowerCase());
    if (i >= 0) out[i] = c;
    else out.push(c);
  };
  for (const entry of own) {
    if ('include' in entry) {
      const ex = new Set(entry.exclude.map((x) => x.toLowerCase()));
      for (const c of model) if ((entry.include === 'all' || entry.include.some((n) => n.toLowerCase() === c.name.toLowerCase())) && !ex.has(c.name.toLowerCase())) put(c);
    } else put(entry);
  }
  return out;
}
