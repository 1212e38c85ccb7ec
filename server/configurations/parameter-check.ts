import { BerthError } from '../../datastores/errors/berth-error.js';
import { checkParameters } from '../../datastores/sdk/parameters.js';
import type { ManifestCatalog } from '../registry/manifests.js';
import type { DatastoreVersion } from '../registry/registry.js';
import type { ConfigurationValues } from './overrides.js';

/**
 * A group's values checked against the parameter rules the version's manager
 * declares, before anything is stored or sent to a guest: an unknown key, a
 * value of another type or out of range is refused naming the key and what it
 * takes. A manager that declares no rules (built for berth:datastore@0.1.0,
 * or declaring none) has every key passed on, for it to refuse, as before.
 */
export function checkConfigurationValues(manifests: ManifestCatalog, version: DatastoreVersion, values: ConfigurationValues): void {
  const rules = manifests.parameters(version);
  if (rules.length === 0) return;
  const problem = checkParameters(rules, values);
  if (!problem) return;
  const parameters = `GET /v1.0/{project}/datastores/${version.datastore}/versions/${version.name}/parameters lists them`;
  if (problem.problem === 'unknown') {
    throw new BerthError(
      'BERTH_ERR_CONFIGURATION_VALUE_INVALID',
      `values.${problem.key}: ${problem.key} is not a configuration parameter of ${version.datastore} ${version.name}`,
      parameters,
    );
  }
  throw new BerthError(
    'BERTH_ERR_CONFIGURATION_VALUE_INVALID',
    `values.${problem.key}: ${JSON.stringify(values[problem.key])} is not valid for ${problem.key}, which takes ${problem.expected}`,
    `give ${problem.key} ${problem.expected}; ${parameters}`,
  );
}
