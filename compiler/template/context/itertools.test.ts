import { ITERTOOLS_CASES } from './testing/cases-itertools.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('modules.itertools matches dbt-core', ITERTOOLS_CASES);
