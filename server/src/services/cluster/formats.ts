// String formats of the config that are not IPv4 arithmetic: domain names and URLs.
// Pure predicates, shared by the schema validator and the completion/hover services.

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A DNS name as the template needs it (VALIDATION.md rule 12): lowercase, two labels or more,
 * labels of 1–63 `[a-z0-9-]` not starting or ending with `-`, an alphabetic last label of 2+,
 * at most 253 characters. Example: isFqdn('example.com') === true, isFqdn('Example.com') === false.
 */
export function isFqdn(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = text.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => LABEL.test(label))) return false;
  return /^[a-z]{2,}$/.test(labels[labels.length - 1]);
}

/** An absolute http or https URL with a host. Example: isHttpUrl('https://id.example.com/realms/x') === true. */
export function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\/[^\s/]/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    // URL throws on malformed input: that is exactly "not a URL".
    return false;
  }
}
