import { client, out, outJson, type OperatorFlags } from './operator-io.js';
import { fields, table } from './table.js';

interface FlavorView {
  str_id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
}

export async function flavorList(flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.request<{ flavors: FlavorView[] }>('GET', api.projectPath('/flavors'));
  if (flags.json) return void outJson(result);
  out(table(['ID', 'NAME', 'RAM (MB)', 'VCPUS', 'DISK (GB)'], result.flavors.map((f) => [f.str_id, f.name, String(f.ram), String(f.vcpus), String(f.disk)])));
}

export async function flavorShow(id: string, flags: OperatorFlags): Promise<void> {
  const api = client(flags);
  const result = await api.request<{ flavor: FlavorView }>('GET', api.projectPath(`/flavors/${encodeURIComponent(id)}`));
  if (flags.json) return void outJson(result);
  const f = result.flavor;
  out(fields([['id', f.str_id], ['name', f.name], ['ram', `${f.ram} MB`], ['vcpus', String(f.vcpus)], ['disk', `${f.disk} GB`]]));
}
