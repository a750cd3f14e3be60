import { RE_CASES } from './testing/cases-re.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('modules.re matches dbt-core', RE_CASES);
