/**
 * The exact effect of `chmod MODE` on a regular file, as GNU coreutils computes it (mode_compile and
 * mode_adjust in gnulib's modechange.c), and the owner forms of `chown`/`chgrp`.
 *
 * Symbolic modes are clauses separated by commas: `[ugoa]*([-+=]([rwxXst]*|[ugo]))+`. With no `ugoa`
 * the change is masked by the umask (BuildKit and buildah run RUN with umask 022). `X` adds execute when
 * the file already has an execute bit (as changed by the clauses before it) or is a directory.
 * Numeric modes are 1 to 4 octal digits. `=` with `X` or with `u`/`g`/`o` is not modelled: GNU and
 * busybox chmod give different results for it. test/fold-permissions.test.ts checks this against the
 * real GNU and busybox `chmod` on temporary files.
 */

/** The umask a RUN starts with under BuildKit and buildah. */
export const RUN_UMASK = 0o022;

const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;
const S_IRWXU = 0o700, S_IRWXG = 0o070, S_IRWXO = 0o007;
const R_ALL = 0o444, W_ALL = 0o222, X_ALL = 0o111;

interface Change {
  op: '+' | '-' | '=';
  /** Bits named by `ugoa` (0: none named, the umask applies). */
  affected: number;
  value: number;
  flag: 'ordinary' | 'copy' | 'x-if-any-x';
}

/** The changes of a mode operand, or null when it is not a mode `chmod` accepts. */
export function parseMode(mode: string): { numeric: number } | { changes: Change[] } | null {
  if (/^[0-7]{1,4}$/.test(mode)) return { numeric: parseInt(mode, 8) };
  if (mode === '' || /[^ugoarwxXst+=,-]/.test(mode)) return null;
  const changes: Change[] = [];
  for (const clause of mode.split(',')) {
    let i = 0, affected = 0;
    for (; i < clause.length && 'ugoa'.includes(clause[i]!); i++) {
      const c = clause[i]!;
      affected |= c === 'u' ? S_ISUID | S_IRWXU : c === 'g' ? S_ISGID | S_IRWXG : c === 'o' ? S_ISVTX | S_IRWXO : 0o7777;
    }
    if (i >= clause.length) return null;
    while (i < clause.length) {
      const op = clause[i]!;
      if (op !== '+' && op !== '-' && op !== '=') return null;
      i++;
      let value = 0;
      let flag: Change['flag'] = 'ordinary';
      if (i < clause.length && 'ugo'.includes(clause[i]!)) {
        const c = clause[i++]!;
        value = c === 'u' ? S_IRWXU : c === 'g' ? S_IRWXG : S_IRWXO;
        flag = 'copy';
      } else {
        for (; i < clause.length && 'rwxXst'.includes(clause[i]!); i++) {
          const c = clause[i]!;
          if (c === 'r') value |= R_ALL;
          else if (c === 'w') value |= W_ALL;
          else if (c === 'x') value |= X_ALL;
          else if (c === 'X') flag = 'x-if-any-x';
          else if (c === 's') value |= S_ISUID | S_ISGID;
          else value |= S_ISVTX;
        }
      }
      // busybox chmod (Alpine's) clears the bits before it reads them for `=u`/`=g`/`=o` and `=X`; GNU reads them first
      if (op === '=' && flag !== 'ordinary') return null;
      changes.push({ op, affected, value, flag });
    }
  }
  return { changes };
}

/** The mode of a regular file of mode `old` after `chmod MODE` (null for a mode chmod rejects). */
export function applyMode(old: number, mode: string, umask = RUN_UMASK): number | null {
  const parsed = parseMode(mode);
  if (parsed === null) return null;
  if ('numeric' in parsed) return parsed.numeric;
  let m = old & 0o7777;
  for (const ch of parsed.changes) {
    let value = ch.value;
    if (ch.flag === 'copy') {
      value &= m;
      value |= (value & R_ALL ? R_ALL : 0) | (value & W_ALL ? W_ALL : 0) | (value & X_ALL ? X_ALL : 0);
    } else if (ch.flag === 'x-if-any-x') {
      if (m & X_ALL) value |= X_ALL;
    }
    value &= ch.affected ? ch.affected : ~umask;
    if (ch.op === '=') {
      const preserved = ch.affected ? ~ch.affected : 0;
      m = (m & preserved) | value;
    } else if (ch.op === '+') m |= value;
    else m &= ~value;
  }
  return m & 0o7777;
}

/** `--chmod=` text for a mode: three octal digits (four with special bits). */
export const octal = (mode: number): string => (mode & 0o7000 ? mode.toString(8).padStart(4, '0') : mode.toString(8).padStart(3, '0'));

/** A user or group as `chown` takes it: a name, or a number. */
const ID = /^(?:[0-9]+|[A-Za-z_][A-Za-z0-9_-]*\$?)$/;

export type OwnerSpec = { user: string | null; group: string | null } | { refuse: string };

/**
 * The owner operand of `chown` (`user`, `user:group`, `:group`; `user:` is refused: its group is the
 * user's login group, read from the image at run time) or of `chgrp` (`group`).
 */
export function parseOwner(spec: string, chgrp: boolean): OwnerSpec {
  if (chgrp) return ID.test(spec) ? { user: null, group: spec } : { refuse: `\`${spec}\` is not a plain group name or number` };
  if (spec.includes('.') && !spec.includes(':')) return { refuse: `\`${spec}\` uses the old user.group form (or a name with a dot)` };
  const colon = spec.indexOf(':');
  if (colon === -1) return ID.test(spec) ? { user: spec, group: null } : { refuse: `\`${spec}\` is not a plain user name or number` };
  const user = spec.slice(0, colon), group = spec.slice(colon + 1);
  if (group === '') return { refuse: `\`${spec}\` sets the group to the login group of ${user || 'the user'}, which only the image's /etc/passwd knows; write the group (\`${user}:GROUP\`)` };
  if (user !== '' && !ID.test(user)) return { refuse: `\`${user}\` is not a plain user name or number` };
  if (!ID.test(group)) return { refuse: `\`${group}\` is not a plain group name or number` };
  return { user: user === '' ? null : user, group };
}
