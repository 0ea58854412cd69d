// age X25519 keys without the age binary: generating an identity, deriving its recipient, the
// bech32 text forms (`age1…`, `AGE-SECRET-KEY-1…`) and the key file age-keygen writes. Pure: no
// file I/O here (the caller writes the file, mode 0600); key material is returned, never logged.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'AGE-SECRET-KEY-';
// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): Node imports private keys only in a
// container, and its JWK import insists on the public half, which is what we want to compute.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…` (upper case, as age-keygen writes it). Secret: never log it. */
  identity: string;
  /** `age1…`, the public recipient. */
  recipient: string;
}

function polymod(values: number[]): number {
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) if ((top >>> bit) & 1) checksum ^= generators[bit];
  }
  return checksum;
}

function expandHrp(hrp: string): number[] {
  const codes = [...hrp].map((char) => char.charCodeAt(0));
  return [...codes.map((code) => code >>> 5), 0, ...codes.map((code) => code & 31)];
}

/** Regroups bits (8 → 5 to encode, 5 → 8 to decode); undefined when the padding is not zero, as BIP-173 requires. */
function convertBits(data: ArrayLike<number>, from: number, to: number, shouldPad: boolean): number[] | undefined {
  let accumulator = 0;
  let bits = 0;
  const out: number[] = [];
  const mask = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    accumulator = (accumulator << from) | data[i];
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((accumulator >>> bits) & mask);
    }
  }
  if (shouldPad) {
    if (bits > 0) out.push((accumulator << (to - bits)) & mask);
  } else if (bits >= from || ((accumulator << (to - bits)) & mask) !== 0) {
    return undefined;
  }
  return out;
}

/**
 * Bech32 (BIP-173, not bech32m) as age uses it: no 90-character limit, lower case unless the
 * HRP is upper case (identities), in which case the whole string is upper case.
 * @example bech32Encode('age', publicKeyBytes) // 'age1…'
 */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const lowerHrp = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true)!;
  const checksumInput = [...expandHrp(lowerHrp), ...words, 0, 0, 0, 0, 0, 0];
  const checksum = polymod(checksumInput) ^ 1;
  const checksumWords = Array.from({ length: 6 }, (_, i) => (checksum >>> (5 * (5 - i))) & 31);
  const encoded = `${lowerHrp}1${[...words, ...checksumWords].map((word) => BECH32_CHARSET[word]).join('')}`;
  return hrp === hrp.toUpperCase() && hrp !== hrp.toLowerCase() ? encoded.toUpperCase() : encoded;
}

/**
 * Decodes bech32 text; undefined when it is malformed, mixed-case or its checksum is wrong. The
 * HRP keeps the text's case: age accepts identities only in upper case and recipients only in lower.
 */
export function bech32Decode(text: string): { hrp: string; data: Uint8Array } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const lower = text.toLowerCase();
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || separator + 7 > lower.length) return undefined;
  const hrp = text.slice(0, separator);
  for (const char of hrp) if (char.charCodeAt(0) < 33 || char.charCodeAt(0) > 126) return undefined;
  const words: number[] = [];
  for (const char of lower.slice(separator + 1)) {
    const word = BECH32_CHARSET.indexOf(char);
    if (word < 0) return undefined;
    words.push(word);
  }
  if (polymod([...expandHrp(hrp.toLowerCase()), ...words]) !== 1) return undefined;
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  if (!bytes) return undefined;
  return { hrp, data: Uint8Array.from(bytes) };
}

function publicKeyBytesOf(secretKey: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

/** The 32 secret bytes of an `AGE-SECRET-KEY-1…` identity, or undefined when it is not one. */
export function decodeAgeIdentity(identity: string): Uint8Array | undefined {
  const decoded = bech32Decode(identity);
  if (!decoded || decoded.hrp !== IDENTITY_HRP || decoded.data.length !== 32) return undefined;
  return decoded.data;
}

/** The 32 public bytes of an `age1…` X25519 recipient, or undefined when it is not one. */
export function decodeAgeRecipient(recipient: string): Uint8Array | undefined {
  const decoded = bech32Decode(recipient);
  if (!decoded || decoded.hrp !== RECIPIENT_HRP || decoded.data.length !== 32) return undefined;
  return decoded.data;
}

/** Whether `text` is a well-formed X25519 recipient (`age1` + 58 characters with a valid checksum). */
export function isAgeRecipient(text: string): boolean {
  return decodeAgeRecipient(text) !== undefined;
}

/**
 * The recipient (`age1…`) of an X25519 identity, as `age-keygen -y` prints it; undefined when
 * the text is not a valid identity.
 * @example publicKeyOf('AGE-SECRET-KEY-1…') // 'age1…'
 */
export function publicKeyOf(identity: string): string | undefined {
  const secret = decodeAgeIdentity(identity);
  return secret ? bech32Encode(RECIPIENT_HRP, publicKeyBytesOf(secret)) : undefined;
}

/** A fresh X25519 identity and its recipient (Node's CSPRNG through generateKeyPairSync). */
export function generateAgeKeyPair(): AgeKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const recipient = bech32Encode(RECIPIENT_HRP, Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  return { identity: bech32Encode(IDENTITY_HRP, secret), recipient };
}

/**
 * RFC 3339 with seconds and the numeric offset, as Go's time.RFC3339 prints local time
 * (`2026-01-02T15:04:05+01:00`, `Z` for UTC).
 * @param utcOffsetMinutes minutes east of UTC; defaults to this machine's offset at `now`.
 */
export function formatRfc3339(now: Date, utcOffsetMinutes: number = -now.getTimezoneOffset()): string {
  const shifted = new Date(now.getTime() + utcOffsetMinutes * 60_000);
  const pad = (value: number): string => String(value).padStart(2, '0');
  const date = `${String(shifted.getUTCFullYear()).padStart(4, '0')}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
  const time = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
  if (utcOffsetMinutes === 0) return `${date}T${time}Z`;
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(utcOffsetMinutes);
  return `${date}T${time}${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`;
}

/**
 * The text of an age key file exactly as age-keygen writes it: the creation time, the public
 * key, then the identity, each on its own line. The file holds a secret: write it with mode 0600.
 * @example ageKeyFileText(generateAgeKeyPair(), new Date())
 * // '# created: 2026-01-02T15:04:05+01:00\n# public key: age1…\nAGE-SECRET-KEY-1…\n'
 */
export function ageKeyFileText(keyPair: AgeKeyPair, now: Date, utcOffsetMinutes?: number): string {
  return `# created: ${formatRfc3339(now, utcOffsetMinutes)}\n# public key: ${keyPair.recipient}\n${keyPair.identity}\n`;
}
