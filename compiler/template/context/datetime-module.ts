/** dbt's modules.datetime: the names dbt exports from Python's datetime module. */
import { date, datetime, time, timedelta, tzinfo } from './python-datetime.js';

export function datetimeModule(): Record<string, unknown> {
  return { date, datetime, time, timedelta, tzinfo };
}
