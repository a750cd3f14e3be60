/**
 * The pure members of dbt's base context (dbt-core 1.10, core/dbt/context/base.py) as host values
 * for tx's Jinja2 evaluator: modules (datetime, pytz, re, itertools), tojson, fromjson, toyaml,
 * fromyaml, set, set_strict, zip, zip_strict, local_md5, diff_of_two_dicts, print, return.
 */
import { datetimeModule } from './datetime-module.js';

export function baseContextMembers(): Record<string, unknown> {
  return {
    modules: {
      datetime: datetimeModule(),
    },
  };
}
