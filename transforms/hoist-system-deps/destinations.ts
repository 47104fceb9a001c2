/**
 * Where a COPY/ADD may write while a package install moves above it. Installing packages runs triggers and
 * maintainer scripts (ldconfig, update-ca-certificates, dpkg file triggers, fc-cache, byte-compilers,
 * depmod, …) that read what earlier instructions put in system paths, and commands they run are looked up
 * on PATH. So this is an allowlist of destinations that no package writes to and nothing an install runs
 * reads: the usual application trees, and /tmp (packages ship nothing there; maintainer scripts only make
 * their own unique temporary files). Everything else refuses, with a reason naming what reads it.
 */

/**
 * Application trees. No distribution package installs into them (Debian Policy 9.1: packages install only
 * into the FHS directories; /srv is the site's own; /usr/src/app is no `<module>-<version>` tree that dkms
 * reads), and no default PATH, library or module path points into them.
 */
export const SAFE_DESTINATIONS: readonly string[] = ['/app', '/src', '/code', '/workspace', '/work', '/build', '/project', '/srv', '/usr/src/app', '/tmp'];

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

/** What reads a destination outside the allowlist, for the refusal. */
const READERS: [dirs: string[], why: string][] = [
  [['/usr/local/share/ca-certificates', '/usr/share/ca-certificates', '/etc/ssl', '/etc/pki', '/etc/ca-certificates'], 'which update-ca-certificates (run when ca-certificates is installed, and by its trigger) reads'],
  [['/usr/local/lib', '/usr/lib', '/lib', '/lib32', '/lib64', '/libx32', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/etc/ld.so.conf.d'], 'where ldconfig (run by package triggers) looks for libraries, and installs write'],
  [['/usr/local/bin', '/usr/local/sbin', '/usr/bin', '/usr/sbin', '/bin', '/sbin'], 'a directory on the default PATH, where maintainer scripts look up the commands they run'],
  [['/etc'], 'configuration that installs and their maintainer scripts read (sources lists, keys, ld.so.conf.d, …)'],
  [['/usr/local'], 'where the interpreters maintainer scripts run look for modules (Python, Perl) and the system for local programs'],
  [['/usr', '/var', '/boot', '/run', '/opt'], 'where installing packages writes (third-party packages install into /opt)'],
  [['/root', '/home'], 'a home directory, whose configuration files installers read (and adduser creates homes there)'],
];

/**
 * Why a COPY/ADD writing to `dest` (absolute, normalised) could change what an install moved above it does,
 * or null when it lies in the allowlist and outside the PATH in force (`pathDirs`, from ENV PATH).
 */
export function unsafeDestination(dest: string, pathDirs: readonly string[]): string | null {
  const onPath = pathDirs.find((d) => inside(dest, d));
  if (onPath) return `${onPath === dest ? '' : `inside ${onPath}, `}which is on the PATH set by ENV, where maintainer scripts look up the commands they run`;
  if (SAFE_DESTINATIONS.some((d) => inside(dest, d))) return null;
  for (const [dirs, why] of READERS) {
    const d = dirs.find((x) => inside(dest, x));
    if (d) return d === dest ? why : `inside ${d}, ${why}`;
  }
  return `not one of the destinations an install and its triggers are known to neither read nor write (${SAFE_DESTINATIONS.join(', ')})`;
}

/** The absolute directories of a PATH value as ENV wrote it (entries with variables are left out). */
export function pathDirectories(path: string | undefined): string[] {
  if (!path) return [];
  return path.split(':').filter((d) => d.startsWith('/') && !d.includes('$')).map((d) => d.replace(/\/+$/, '') || '/');
}
