import { BerthError } from '@berth/kit';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

/** Reads a file of the container's rootfs ("/etc/passwd"); undefined when absent. */
export type RootfsReader = (path: string) => Promise<string | undefined>;

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const numeric = (s: string) => /^\d+$/.test(s);

function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const f = line.split(':');
    if (line.startsWith('#') || f.length < 7 || !numeric(f[2]!) || !numeric(f[3]!)) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }];
  });
}

function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const f = line.split(':');
    if (line.startsWith('#') || f.length < 4 || !numeric(f[2]!)) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }];
  });
}

const MAX_ID = 2 ** 31 - 1;
function checkId(n: number, what: string, spec: string): number {
  if (n > MAX_ID) throw new BerthError('invalid_argument', `${what} ${n} in user "${spec}" is out of range`);
  return n;
}

/**
 * Docker's user resolution ("", "uid", "uid:gid", "name", "name:group"): names are looked up in
 * the rootfs's /etc/passwd and /etc/group; numeric ids need no entry. Supplementary groups are the
 * groups listing the user. Errors read like Docker's ("unable to find user x: no matching entries").
 */
export async function resolveUser(spec: string, read: RootfsReader): Promise<ResolvedUser> {
  const [userPart = '', groupPart] = spec.split(':', 2);
  // Even numeric users are looked up: their home and default group come from passwd.
  const passwd = parsePasswd(await read('/etc/passwd'));
  const user = userPart === '' ? '0' : userPart;
  const entry = numeric(user) ? passwd.find((p) => p.uid === Number(user)) : passwd.find((p) => p.name === user);
  if (!numeric(user) && !entry) {
    throw new BerthError('invalid_argument', `unable to find user ${user}: no matching entries in passwd file`);
  }
  const uid = checkId(entry?.uid ?? Number(user), 'uid', spec);
  let gid = entry?.gid ?? 0;
  const groups = parseGroup(await read('/etc/group'));
  if (groupPart !== undefined && groupPart !== '') {
    if (numeric(groupPart)) gid = checkId(Number(groupPart), 'gid', spec);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new BerthError('invalid_argument', `unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const name = entry?.name;
  const additionalGids = name
    ? [...new Set(groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  return { uid, gid, additionalGids, home: entry?.home ?? '/' };
}
