import { FUZZ_CASES } from './testing/cases-fuzz.js';
import { FUZZ_RE_CASES } from './testing/cases-fuzz-re.js';
import { FUZZ_TIME_CASES } from './testing/cases-fuzz-time.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('toyaml/tojson/fromyaml on seeded random values match dbt-core', FUZZ_CASES);
differentialSuite('datetime/pytz on seeded random instants, formats and zones match dbt-core', FUZZ_TIME_CASES);
differentialSuite('re on seeded random patterns and subjects matches dbt-core', FUZZ_RE_CASES);
