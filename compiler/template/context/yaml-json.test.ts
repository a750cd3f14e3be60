import { YAML_CASES } from './testing/cases-yaml.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('toyaml/fromyaml/tojson edge cases match dbt-core (PyYAML 6, json)', YAML_CASES);
