import { YAML_CASES } from './testing/cases-yaml.js';
import { YAML_LOAD_CASES } from './testing/cases-yaml-load.js';
import { differentialSuite } from './testing/suite.js';

differentialSuite('toyaml/fromyaml/tojson edge cases match dbt-core (PyYAML 6, json)', YAML_CASES);
differentialSuite('fromyaml documents match dbt-core (libyaml CSafeLoader + SafeConstructor)', YAML_LOAD_CASES);
