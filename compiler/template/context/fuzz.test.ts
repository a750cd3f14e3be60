import { FUZZ_CASES } from './testing/cases-fuzz.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('toyaml/tojson/fromyaml on seeded random values match dbt-core', FUZZ_CASES);
