import { ERROR_CASES } from './testing/cases-errors.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('wrong arguments raise what dbt-core raises', ERROR_CASES);
