/**
 * dbt's `exceptions` namespace for templates (dbt-core's context/exceptions_jinja.py): each
 * raise_* member stops compilation with a TxError carrying dbt's message; `warn` logs.
 */
import { TxError } from '../errors.js';
import { pyStr } from '../template/jinja/py.js';
import { PyError, splitArgs } from '../template/jinja/values.js';

type Log = (msg: string, info: boolean) => void;

function fail(type: string, message: string): never {
  throw new TxError('TEMPLATE', message, { cause: new PyError(type, message) });
}

const str = (x: unknown): string => (x === undefined ? '' : pyStr(x));

export function dbtExceptions(log: Log): Record<string, (...args: unknown[]) => unknown> {
  const pos = (args: unknown[]) => splitArgs(args).pos;
  return {
    raise_compiler_error: (...a) => fail('CompilationError', str(pos(a)[0])),
    warn: (...a) => {
      log(`warning: ${str(pos(a)[0])}`, true);
      return '';
    },
    raise_not_implemented: (...a) => fail('NotImplementedError', str(pos(a)[0])),
    raise_database_error: (...a) => fail('DbtDatabaseError', str(pos(a)[0])),
    raise_fail_fast_error: (...a) => fail('FailFastError', str(pos(a)[0])),
    raise_dependency_error: (...a) => fail('DependencyError', str(pos(a)[0])),
    raise_contract_error: (...a) => fail('ContractError', `Contract Error: ${str(pos(a)[0])} ${str(pos(a)[1])}`.trim()),
    raise_cast_failure: (...a) => fail('CompilationError', str(pos(a)[0])),
    missing_config: (...a) => {
      const [model, name] = pos(a);
      return fail('MissingConfigError', `Model '${str((model as { unique_id?: unknown })?.unique_id ?? model)}' does not define a required config parameter '${str(name)}'.`);
    },
    missing_materialization: (...a) => fail('MissingMaterializationError', `No materialization '${str(pos(a)[1] ?? pos(a)[0])}' was found`),
    missing_relation: (...a) => fail('MissingRelationError', `Relation ${str(pos(a)[0])} not found!`),
    relation_wrong_type: (...a) => {
      const [relation, expected] = pos(a);
      return fail('RelationWrongTypeError', `Trying to create ${str(expected)} ${str(relation)}, but it currently exists as another type. Either drop ${str(relation)} manually, or run dbt with \`--full-refresh\` and dbt will drop it for you.`);
    },
    column_type_missing: (...a) => fail('ColumnTypeMissingError', `Contracted models require data_type to be defined for each column. Please ensure that the column name and data_type are defined within the YAML configuration for the ${str(pos(a)[0])} column(s).`),
    raise_ambiguous_alias: (...a) => fail('AmbiguousAliasError', `dbt found two resources with the database representation "${str(pos(a)[2] ?? '')}".`),
    raise_ambiguous_catalog: (...a) => fail('AmbiguousCatalogMatchError', `dbt found more than one match in the catalog for ${str(pos(a)[0])}`),
    raise_duplicate_alias: (...a) => fail('DuplicateAliasError', `Got duplicate keys: ${str(pos(a)[0])}`),
    raise_invalid_property_yml_version: (...a) => fail('PropertyYMLError', `The yml property file at ${str(pos(a)[0])} is invalid: ${str(pos(a)[1])}`),
    raise_unrecognized_credentials_type: (...a) => fail('UnrecognizedCredentialTypeError', `Unrecognized credentials type "${str(pos(a)[0])}"`),
  };
}
