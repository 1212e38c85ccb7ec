import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { isErrorCode } from '../../datastores/errors/catalogue.js';
import type {
  BackupView,
  ConfigurationSummaryView,
  ConfigurationValue,
  ConfigurationView,
  CreateBackupBody,
  CreateConfigurationBody,
  CreatedInstance,
  CreateInstanceBody,
  DatabaseIn,
  DatabaseView,
  DatastoreView,
  GuestLogView,
  InstanceView,
  ParameterView,
  UserIn,
  UserRef,
  UserView,
} from './api-views.js';

export type * from './api-views.js';

export const DEFAULT_URL = 'http://127.0.0.1:8779';
export const DEFAULT_PROJECT = 'default';
/** Every request gives up after this long; the slowest guest call the server makes defaults to 180 s. */
const REQUEST_TIMEOUT_MS = 300_000;

/** What the operator commands take on the command line; each falls back to BERTH_* and then a default. */
export interface ConnectionFlags {
  url?: string;
  project?: string;
  token?: string;
}

export interface ClientSettings {
  url: string;
  project: string;
  token?: string;
  /** Where the token came from, for the fix of an authentication error. */
  tokenSource: string;
}

/** --url, --project and --token, else BERTH_URL, BERTH_PROJECT and BERTH_TOKEN, else the defaults and the token `berth up` keeps. */
export function resolveSettings(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): ClientSettings {
  const rawUrl = flags.url ?? (env.BERTH_URL || undefined) ?? DEFAULT_URL;
  const urlSource = flags.url !== undefined ? '--url' : env.BERTH_URL ? 'BERTH_URL' : 'the default URL';
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new BerthError('BERTH_ERR_USAGE', `${urlSource} ${rawUrl} is not a URL`, `pass the server's address, for example --url ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BerthError('BERTH_ERR_USAGE', `${urlSource} ${rawUrl} is not an http or https URL`, `pass the server's address, for example --url ${DEFAULT_URL}`);
  }
  const url = rawUrl.replace(/\/+$/, '');

  const project = flags.project ?? (env.BERTH_PROJECT || undefined) ?? DEFAULT_PROJECT;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(project)) {
    throw new BerthError('BERTH_ERR_USAGE', `${flags.project !== undefined ? '--project' : 'BERTH_PROJECT'} ${project} is not a project name`, 'a project name is 1 to 64 letters, digits, "-" or "_"');
  }

  if (flags.token !== undefined) return { url, project, token: flags.token, tokenSource: '--token' };
  if (env.BERTH_TOKEN) return { url, project, token: env.BERTH_TOKEN, tokenSource: 'BERTH_TOKEN' };
  // where `berth up` keeps it: ~/.berth, or /var/lib/berth when it ran as root
  const tokenFiles = [join(home, '.berth', 'token'), ...(process.getuid?.() === 0 ? ['/var/lib/berth/token'] : [])];
  for (const tokenFile of tokenFiles) {
    try {
      const token = readFileSync(tokenFile, 'utf8').trim();
      if (token) return { url, project, token, tokenSource: tokenFile };
    } catch {
      // no token file here: try the next, then go without one and let the server say so
    }
  }
  return { url, project, tokenSource: 'none (no --token, no BERTH_TOKEN, no ~/.berth/token)' };
}

/** Why fetch failed, in a word: ECONNREFUSED, ENOTFOUND, or undici's own reason ("bad port"). */
function networkReason(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; message?: unknown; errors?: Array<{ code?: unknown }> } }).cause;
  const code = cause?.code ?? cause?.errors?.find((e) => typeof e.code === 'string')?.code;
  if (typeof code === 'string') return code;
  return typeof cause?.message === 'string' && cause.message ? cause.message : undefined;
}

/** The REST API of one server, for one project. Every failure is a catalogue error. */
export class ApiClient {
  constructor(readonly settings: ClientSettings) {}

  /** Sends one request; answers the parsed JSON body, or undefined for an empty one. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { text, parsed } = await this.send(method, path, 'application/json', body);
    if (text && parsed === undefined) {
      throw new BerthError('BERTH_ERR_RPC_REMOTE', `${this.settings.url} answered ${method} ${path} with something that is not JSON`, 'check that --url points at a Berth server');
    }
    return parsed as T;
  }

  /** A GET whose answer is text (a published guest log); a failure is the catalogue error of its JSON body. */
  async requestText(path: string): Promise<{ text: string; headers: Headers }> {
    const { text, headers } = await this.send('GET', path, 'text/plain, application/json');
    return { text, headers };
  }

  private async send(method: string, path: string, accept: string, body?: unknown): Promise<{ text: string; parsed: unknown; headers: Headers }> {
    const target = `${this.settings.url}${path}`;
    const headers: Record<string, string> = { accept };
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        throw new BerthError('BERTH_ERR_RPC_TIMEOUT', `the Berth server at ${this.settings.url} did not answer ${method} ${path} within ${REQUEST_TIMEOUT_MS / 1000} s`, 'check that the server is healthy; the operation may still complete, so look before retrying');
      }
      const reason = networkReason(error);
      throw new BerthError(
        'BERTH_ERR_RPC_DISCONNECTED',
        `cannot reach the Berth server at ${this.settings.url}${reason ? ` (${reason})` : ''}`,
        'start it with `berth up` or pass --url (or set BERTH_URL) to where it listens',
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    if (text && !(response.ok && accept.startsWith('text/'))) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.ok) return { text, parsed, headers: response.headers };
    throw this.toError(response.status, method, path, parsed);
  }

  private toError(status: number, method: string, path: string, body: unknown): BerthError {
    const error = (body as { error?: { code?: unknown; message?: unknown; fix?: unknown } } | undefined)?.error;
    if (!error || typeof error.code !== 'string') {
      return new BerthError('BERTH_ERR_RPC_REMOTE', `${this.settings.url} answered ${method} ${path} with HTTP ${status} and no Berth error`, 'check that --url points at a Berth server');
    }
    const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`;
    let fix = typeof error.fix === 'string' ? error.fix : undefined;
    if (!isErrorCode(error.code)) {
      return new BerthError('BERTH_ERR_RPC_REMOTE', `the server answered ${error.code}: ${message}`, fix);
    }
    if (error.code === 'BERTH_ERR_UNAUTHORIZED') {
      fix = `pass --token <token> or set BERTH_TOKEN (the token used came from ${this.settings.tokenSource}); \`berth up\` keeps its token in ~/.berth/token`;
    } else if (error.code === 'BERTH_ERR_FORBIDDEN') {
      fix = `pass --project with the token's project (or set BERTH_PROJECT), or a token of project ${this.settings.project}`;
    }
    return new BerthError(error.code, message, fix);
  }

  projectPath(path: string): string {
    return `/v1.0/${encodeURIComponent(this.settings.project)}${path}`;
  }

  listDatastores(): Promise<{ datastores: DatastoreView[] }> {
    return this.request('GET', this.projectPath('/datastores'));
  }

  /** A version's configuration parameters, by datastore and version (names or ids). */
  listParameters(datastore: string, version: string): Promise<{ 'configuration-parameters': ParameterView[] }> {
    return this.request('GET', this.projectPath(`/datastores/${encodeURIComponent(datastore)}/versions/${encodeURIComponent(version)}/parameters`));
  }

  createInstance(instance: CreateInstanceBody): Promise<CreatedInstance> {
    return this.request('POST', this.projectPath('/instances'), { instance });
  }

  listInstances(): Promise<{ instances: InstanceView[] }> {
    return this.request('GET', this.projectPath('/instances'));
  }

  getInstance(id: string): Promise<{ instance: InstanceView }> {
    return this.request('GET', this.projectPath(`/instances/${encodeURIComponent(id)}`));
  }

  async deleteInstance(id: string): Promise<void> {
    await this.request('DELETE', this.projectPath(`/instances/${encodeURIComponent(id)}`));
  }

  /** The manager's get-filesystem-stats for the instance's data (bytes). */
  async instanceFilesystem(id: string): Promise<{ filesystem: { path: string; block_size: number; total_blocks: number; free_blocks: number; total: number; free: number; used: number } }> {
    return (await this.request('GET', this.projectPath(`/instances/${encodeURIComponent(id)}/filesystem`))) as never;
  }

  async restartInstance(id: string): Promise<void> {
    await this.instanceAction(id, 'restart');
  }

  /** Restart the datastore; stop it (it stays down across reboots of its guest); start it again. */
  async instanceAction(id: string, action: 'restart' | 'stop' | 'start'): Promise<void> {
    await this.request('POST', this.projectPath(`/instances/${encodeURIComponent(id)}/action`), { [action]: {} });
  }

  /** One page of databases; `next` is the marker of the following page. */
  listDatabases(id: string, marker?: string): Promise<{ databases: DatabaseView[]; next?: string }> {
    const query = marker === undefined ? '' : `?marker=${encodeURIComponent(marker)}`;
    return this.request('GET', this.projectPath(`/instances/${encodeURIComponent(id)}/databases${query}`));
  }

  async createDatabases(id: string, databases: DatabaseIn[]): Promise<void> {
    await this.request('POST', this.projectPath(`/instances/${encodeURIComponent(id)}/databases`), { databases });
  }

  async deleteDatabase(id: string, name: string): Promise<void> {
    await this.request('DELETE', this.projectPath(`/instances/${encodeURIComponent(id)}/databases/${encodeURIComponent(name)}`));
  }

  /** `user_hosts`: whether the manager named a host for any user listed (absent from a server before it was added). */
  listUsers(id: string): Promise<{ users: UserView[]; user_hosts?: boolean }> {
    return this.request('GET', this.projectPath(`/instances/${encodeURIComponent(id)}/users`));
  }

  async createUsers(id: string, users: UserIn[]): Promise<void> {
    await this.request('POST', this.projectPath(`/instances/${encodeURIComponent(id)}/users`), { users });
  }

  /** /instances/{id}/users/{name}/databases[/{database}], with ?host= when the user names one. */
  private accessPath(id: string, user: UserRef, database?: string): string {
    const tail = database === undefined ? '' : `/${encodeURIComponent(database)}`;
    const query = user.host === undefined ? '' : `?host=${encodeURIComponent(user.host)}`;
    return this.projectPath(`/instances/${encodeURIComponent(id)}/users/${encodeURIComponent(user.name)}/databases${tail}${query}`);
  }

  listAccess(id: string, user: UserRef): Promise<{ databases: Array<{ name: string }> }> {
    return this.request('GET', this.accessPath(id, user));
  }

  async grantAccess(id: string, user: UserRef, databases: readonly string[]): Promise<void> {
    await this.request('PUT', this.accessPath(id, user), { databases: databases.map((name) => ({ name })) });
  }

  async revokeAccess(id: string, user: UserRef, database: string): Promise<void> {
    await this.request('DELETE', this.accessPath(id, user, database));
  }

  createBackup(backup: CreateBackupBody): Promise<{ backup: BackupView }> {
    return this.request('POST', this.projectPath('/backups'), { backup });
  }

  listBackups(instanceId?: string): Promise<{ backups: BackupView[] }> {
    const query = instanceId === undefined ? '' : `?instance_id=${encodeURIComponent(instanceId)}`;
    return this.request('GET', this.projectPath(`/backups${query}`));
  }

  getBackup(id: string): Promise<{ backup: BackupView }> {
    return this.request('GET', this.projectPath(`/backups/${encodeURIComponent(id)}`));
  }

  async deleteBackup(id: string): Promise<void> {
    await this.request('DELETE', this.projectPath(`/backups/${encodeURIComponent(id)}`));
  }

  createConfiguration(configuration: CreateConfigurationBody): Promise<{ configuration: ConfigurationView }> {
    return this.request('POST', this.projectPath('/configurations'), { configuration });
  }

  listConfigurations(): Promise<{ configurations: ConfigurationSummaryView[] }> {
    return this.request('GET', this.projectPath('/configurations'));
  }

  getConfiguration(id: string): Promise<{ configuration: ConfigurationView }> {
    return this.request('GET', this.projectPath(`/configurations/${encodeURIComponent(id)}`));
  }

  configurationInstances(id: string): Promise<{ instances: Array<{ id: string; name: string }> }> {
    return this.request('GET', this.projectPath(`/configurations/${encodeURIComponent(id)}/instances`));
  }

  /** PATCH: the values are merged into the group's (PUT would replace them all). */
  async mergeConfigurationValues(id: string, values: Record<string, ConfigurationValue>): Promise<void> {
    await this.request('PATCH', this.projectPath(`/configurations/${encodeURIComponent(id)}`), { configuration: { values } });
  }

  async replaceConfigurationValues(id: string, values: Record<string, ConfigurationValue>): Promise<void> {
    await this.request('PUT', this.projectPath(`/configurations/${encodeURIComponent(id)}`), { configuration: { values } });
  }

  async deleteConfiguration(id: string): Promise<void> {
    await this.request('DELETE', this.projectPath(`/configurations/${encodeURIComponent(id)}`));
  }

  /** Trove's PUT /instances/{id}: a group id attaches it, null detaches the one attached. */
  async setInstanceConfiguration(instanceId: string, configurationId: string | null): Promise<void> {
    await this.request('PUT', this.projectPath(`/instances/${encodeURIComponent(instanceId)}`), { instance: { configuration: configurationId } });
  }

  enableRoot(id: string): Promise<{ user: { name: string; password: string } }> {
    return this.request('POST', this.projectPath(`/instances/${encodeURIComponent(id)}/root`));
  }

  rootEnabled(id: string): Promise<{ rootEnabled: boolean }> {
    return this.request('GET', this.projectPath(`/instances/${encodeURIComponent(id)}/root`));
  }

  listLogs(id: string): Promise<{ logs: GuestLogView[] }> {
    return this.request('GET', this.projectPath(`/instances/${encodeURIComponent(id)}/log`));
  }

  /** Trove's log action: no flag shows the log; publish reads it from the guest into the server. */
  logAction(id: string, name: string, action?: 'enable' | 'disable' | 'publish' | 'discard'): Promise<{ log: GuestLogView }> {
    return this.request('POST', this.projectPath(`/instances/${encodeURIComponent(id)}/log`), { name, ...(action ? { [action]: 1 } : {}) });
  }

  /** A publication of a log, the newest without `publication`. */
  logContent(id: string, name: string, publication?: number): Promise<{ text: string; headers: Headers }> {
    const query = publication === undefined ? '' : `?publication=${publication}`;
    return this.requestText(this.projectPath(`/instances/${encodeURIComponent(id)}/log/${encodeURIComponent(name)}/content${query}`));
  }
}
