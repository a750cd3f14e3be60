import { DATETIME_CASES, DATETIME_MORE_CASES } from './testing/cases-datetime.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('modules.datetime matches dbt-core', DATETIME_CASES);
differentialSuite('modules.datetime with pytz, local time and the clock matches dbt-core', DATETIME_MORE_CASES);
