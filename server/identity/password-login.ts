import { z } from 'zod';
import { DECOY_HASH, verifyPassword } from './password-hash.js';

/** Berth has one domain; Keystone clients name it "Default" (by name) or "default" (by id). */
export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

const domainRef = z.object({ id: z.string().optional(), name: z.string().optional() }).optional();

/** The part of Keystone's POST /v3/auth/tokens body Berth reads; other fields clients send are ignored. */
export const passwordLoginSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()),
      password: z
        .object({
          user: z.object({ id: z.string().optional(), name: z.string().optional(), password: z.string(), domain: domainRef }),
        })
        .optional(),
      token: z.object({ id: z.string().min(1) }).optional(),
    }),
    scope: z.union([z.literal('unscoped'), z.object({ project: z.object({ id: z.string().optional(), name: z.string().optional(), domain: domainRef }).optional() }).passthrough()]).optional(),
  }),
});

export type PasswordLogin = z.output<typeof passwordLoginSchema>;

export interface ConfiguredUser {
  name: string;
  password_scrypt: string;
  projects: readonly string[];
}

/** Why a login is refused: 400 for a request Berth cannot serve, 401 for credentials or a project it will not grant. */
export class LoginRefused extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

function isDefaultDomain(domain: { id?: string; name?: string } | undefined): boolean {
  if (!domain) return false;
  return domain.id === DEFAULT_DOMAIN.id || (domain.id === undefined && domain.name === DEFAULT_DOMAIN.name);
}

// one message for an unknown user, a wrong password and a project the user lacks, as Keystone does: a caller learns nothing of which
const REFUSED = 'The request you have made requires authentication.';

/**
 * The password method of Keystone v3, scoped to one project: user by name in
 * the Default domain (or by id, which is the name), project by name or id
 * (both the project's name in Berth).
 */
export async function passwordLogin(users: readonly ConfiguredUser[], login: PasswordLogin): Promise<{ user: string; project: string }> {
  const { identity } = login.auth;
  if (!identity.methods.includes('password') || !identity.password) {
    throw new LoginRefused(401, 'Berth accepts the password method (user name, password, domain Default) and the token method.');
  }
  const requested = identity.password.user;
  if (requested.id === undefined && !isDefaultDomain(requested.domain)) {
    throw new LoginRefused(401, 'A user named without its id must name its domain, which is Default.');
  }
  const name = requested.id ?? requested.name;
  const user = users.find((candidate) => candidate.name === name);
  // an unknown user costs as much as a wrong password, so timing does not tell which names exist
  const matches = await verifyPassword(requested.password, user?.password_scrypt ?? DECOY_HASH);
  if (!user || !matches) throw new LoginRefused(401, REFUSED);

  const projectName = scopedProject(login);
  if (!user.projects.includes(projectName)) throw new LoginRefused(401, REFUSED);
  return { user: user.name, project: projectName };
}

/** The project a login asks to be scoped to (by id, or by name in the Default domain), both the project's name in Berth. */
export function scopedProject(login: PasswordLogin): string {
  const { scope } = login.auth;
  const project = typeof scope === 'object' ? scope.project : undefined;
  if (!project || (project.id === undefined && project.name === undefined)) {
    throw new LoginRefused(400, 'Berth issues project-scoped tokens only: name the project (--os-project-name) or its id.');
  }
  if (project.id === undefined && !isDefaultDomain(project.domain)) {
    throw new LoginRefused(401, 'A project named without its id must name its domain, which is Default.');
  }
  return project.id ?? project.name!;
}

export { REFUSED as LOGIN_REFUSED };
