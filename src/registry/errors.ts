export type RegistryErrorKind =
  | 'not-found' | 'unauthorized' | 'rate-limited' | 'timeout' | 'network' | 'tls' | 'protocol' | 'config' | 'offline';

/** A lookup that failed for one reference. Messages and hints never contain a credential or a token. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(message: string, readonly hint: string | undefined = undefined, readonly kind: RegistryErrorKind = 'protocol') {
    super(message);
  }
}
