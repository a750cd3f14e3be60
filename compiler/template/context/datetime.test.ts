import { DATETIME_CASES } from './testing/cases-datetime.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('modules.datetime matches dbt-core', DATETIME_CASES);
