// The one error type of the SOPS engine. Its messages name key paths, positions and codes, never
// a value, a comment's text or key material, so they are safe for logs and notifications.

export type SopsErrorCode =
  /** The MAC does not match the values (tampered, reordered) or cannot be decrypted. */
  | 'mac-mismatch'
  /** The metadata has no MAC (sops refuses such a file unless --ignore-mac). */
  | 'no-mac'
  /** A value fails AES-GCM authentication (wrong data key, tampered ciphertext or key path). */
  | 'value-auth'
  /** The text cannot be read in its store, or its metadata is malformed. */
  | 'parse'
  /** None of the given identities opens the file's data key. */
  | 'no-key'
  /** The file has no sops metadata (decrypting plaintext). */
  | 'not-encrypted'
  /** The file already has sops metadata (encrypting twice). */
  | 'already-encrypted'
  /** A construct sops itself refuses or that this engine does not implement. */
  | 'unsupported'
  /** The encryption rule is invalid (several partial-encryption options, a bad regex). */
  | 'invalid-rule';

export class SopsError extends Error {
  constructor(
    readonly code: SopsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SopsError';
  }
}
