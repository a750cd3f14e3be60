import { PYTZ_CASES } from './testing/cases-pytz.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('modules.pytz (with modules.datetime) matches dbt-core', PYTZ_CASES);
