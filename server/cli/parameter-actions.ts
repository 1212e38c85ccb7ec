import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ParameterView } from './api-client.js';
import { client, out, outJson, type OperatorFlags } from './operator-io.js';
import { table } from './table.js';

function allowed(parameter: ParameterView): string {
  if (parameter.allowed_values) return parameter.allowed_values.join(', ');
  if (parameter.min === undefined && parameter.max === undefined) return '';
  return `${parameter.min ?? ''}..${parameter.max ?? ''}`;
}

/** `berth datastore parameters <datastore> [<version>]`: what a configuration group of that version may set. */
export async function datastoreParameters(datastore: string, version: string | undefined, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  let wanted = version;
  if (wanted === undefined) {
    const found = (await api.listDatastores()).datastores.find((d) => d.name === datastore || d.id === datastore);
    if (!found) throw new BerthError('BERTH_ERR_DATASTORE_NOT_FOUND', `no datastore ${datastore}`, '`berth datastore list` lists them');
    wanted = found.default_version;
  }
  const result = await api.listParameters(datastore, wanted);
  if (flags.json) return void outJson(result);
  const parameters = result['configuration-parameters'];
  if (parameters.length === 0) {
    return void out(`${datastore} declares no configuration parameters: its manager was built without rules (berth:datastore@0.1.0), so the server passes any setting to it`);
  }
  out(table(['NAME', 'TYPE', 'ALLOWED', 'RESTART'], parameters.map((p) => [p.name, p.type, allowed(p), p.restart_required ? 'yes' : 'no'])));
}
