import { BASE_CASES } from './testing/cases-base.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('tojson, fromjson, toyaml, fromyaml, set, zip, local_md5, diff_of_two_dicts, print match dbt-core', BASE_CASES);
