// Adds the keys a scaffolded item needs to the workspace's closed CUE schema (#Config in
// .taskfiles/template/resources/cluster.schema.cue): without them `cue vet` in `task configure`
// rejects the new cluster.yaml keys. Text in, text out; keys already declared are left alone.

/** A key for #Config: its name and CUE type expression (optional keys get `?`). */
export interface CueSchemaKey {
  name: string;
  type: string;
}

export interface CueKeyGroup {
  /** The comment line above the group. */
  comment: string;
  keys: CueSchemaKey[];
}

/** The schema keys each scaffold's variables need (facts: REMAINING-WORK.md §4, §8, §9, §11, §12). */
export const SCHEMA_KEYS_BY_SCAFFOLD: Record<string, CueKeyGroup> = {
  volsync: {
    comment: 'VolSync PVC backups (restic to S3)',
    keys: [
      { name: 'volsync_enabled', type: '*false | bool' },
      { name: 'volsync_s3_endpoint', type: 'string & =~"^https?://"' },
      { name: 'volsync_s3_bucket', type: 'string & !=""' },
      { name: 'volsync_s3_access_key', type: 'string & !=""' },
      { name: 'volsync_s3_secret_key', type: 'string & !=""' },
      { name: 'volsync_restic_password', type: 'string & !=""' },
      { name: 'volsync_schedule', type: '*"0 */6 * * *" | string & =~"^[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+$"' },
      { name: 'volsync_copy_method', type: '*"Clone" | "Snapshot"' },
      { name: 'volsync_retain_hourly', type: '*6 | int & >=0 & <=168' },
      { name: 'volsync_retain_daily', type: '*7 | int & >=1 & <=365' },
      { name: 'volsync_retain_weekly', type: '*4 | int & >=1 & <=52' },
      { name: 'volsync_retain_monthly', type: '*3 | int & >=1 & <=24' },
      { name: 'volsync_retain_yearly', type: '*1 | int & >=0 & <=10' },
    ],
  },
  cnpg: {
    comment: 'CloudNativePG operator',
    keys: [
      { name: 'cnpg_enabled', type: '*false | bool' },
      { name: 'cnpg_postgres_image', type: 'string & =~"^ghcr.io/cloudnative-pg/"' },
      { name: 'cnpg_storage_class', type: 'string & !=""' },
      { name: 'cnpg_priority_class', type: '*"system-cluster-critical" | string & !=""' },
      { name: 'cnpg_control_plane_only', type: '*true | bool' },
      { name: 'cnpg_backup_enabled', type: '*false | bool' },
      { name: 'cnpg_s3_access_key', type: 'string & !=""' },
      { name: 'cnpg_s3_secret_key', type: 'string & !=""' },
    ],
  },
  keycloak: {
    comment: 'Keycloak OIDC provider',
    keys: [
      { name: 'keycloak_enabled', type: '*false | bool' },
      { name: 'keycloak_subdomain', type: '*"auth" | string & !=""' },
      { name: 'keycloak_realm', type: 'string & !=""' },
      { name: 'keycloak_admin_password', type: 'string & strings.MinRunes(8)' },
      { name: 'keycloak_db_mode', type: '*"embedded" | "cnpg"' },
      { name: 'keycloak_db_user', type: '*"keycloak" | string & !=""' },
      { name: 'keycloak_db_password', type: 'string & !=""' },
      { name: 'keycloak_db_name', type: '*"keycloak" | string & !=""' },
      { name: 'keycloak_storage_size', type: '*"5Gi" | string & =~"^[0-9]+[KMGT]i$"' },
      { name: 'keycloak_replicas', type: '*1 | int & >=1 & <=10' },
      { name: 'keycloak_db_instances', type: '*1 | int & >=1 & <=5' },
      { name: 'keycloak_operator_version', type: '*"26.5.0" | string & !=""' },
    ],
  },
  'oauth2-proxy': {
    comment: 'OAuth2-Proxy ext_authz',
    keys: [
      { name: 'oauth2_proxy_enabled', type: '*false | bool' },
      { name: 'oauth2_proxy_oidc_issuer', type: 'string & =~"^https?://"' },
      { name: 'oauth2_proxy_client_id', type: 'string & !=""' },
      { name: 'oauth2_proxy_client_secret', type: 'string & !=""' },
      { name: 'oauth2_proxy_cookie_secret', type: 'string & !=""' },
      { name: 'oauth2_proxy_cookie_domain', type: 'string & !=""' },
      { name: 'oauth2_proxy_email_domains', type: '[...string]' },
      { name: 'oauth2_proxy_allowed_groups', type: '[...string]' },
      { name: 'oauth2_proxy_replicas', type: '*2 | int & >=1' },
    ],
  },
  'grpc-route': {
    comment: 'gRPC routing',
    keys: [
      { name: 'grpc_gateway_enabled', type: '*false | bool' },
      { name: 'grpc_hostname', type: 'string & !=""' },
      { name: 'grpc_default_port', type: '*50051 | int & >=1 & <=65535' },
    ],
  },
};

/**
 * The schema text with the missing keys of the group added at the end of `#Config: { ... }`, or
 * undefined when nothing is missing or there is no #Config block. Example: a #Config without
 * volsync_s3_access_key gets `\tvolsync_s3_access_key?: string & !=""` before its closing brace.
 */
export function addCueSchemaKeys(text: string, group: CueKeyGroup): string | undefined {
  const block = configBlock(text);
  if (!block) return undefined;
  const body = text.slice(block.open + 1, block.close);
  const missing = group.keys.filter((key) => !new RegExp(`^\\s*"?${key.name}"?\\??\\s*:`, 'm').test(body));
  if (missing.length === 0) return undefined;
  const indent = /\n([ \t]+)[A-Za-z_"]/.exec(body)?.[1] ?? '\t';
  const width = Math.max(...missing.map((key) => key.name.length + 2));
  const lines = [`${indent}// ${group.comment}`, ...missing.map((key) => `${indent}${(key.name + '?:').padEnd(width)} ${key.type}`)];
  const needsImport = missing.some((key) => key.type.includes('strings.')) && !/"strings"/.test(text);
  // Insert before the closing brace's line, after one blank line.
  const closeLineStart = text.lastIndexOf('\n', block.close - 1) + 1;
  const before = text.slice(0, closeLineStart);
  const separator = before.endsWith('\n\n') ? '' : '\n';
  const updated = `${before}${separator}${lines.join('\n')}\n${text.slice(closeLineStart)}`;
  return needsImport ? addStringsImport(updated) : updated;
}

/** Offsets of the braces of `#Config: {`, skipping strings and comments when matching. */
function configBlock(text: string): { open: number; close: number } | undefined {
  const start = /^#Config\s*:\s*\{/m.exec(text);
  if (!start) return undefined;
  const open = start.index + start[0].length - 1;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (char === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      if (i < 0) return undefined;
      continue;
    }
    if (char === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return { open, close: i };
  }
  return undefined;
}

function addStringsImport(text: string): string {
  const block = /^import\s*\(\n/m.exec(text);
  if (block) return `${text.slice(0, block.index + block[0].length)}\t"strings"\n${text.slice(block.index + block[0].length)}`;
  const single = /^import\s+"[^"]+"\s*$/m.exec(text);
  if (single) return `${text.slice(0, single.index)}import "strings"\n${text.slice(single.index)}`;
  const pkg = /^package\s+\S+\s*\n/m.exec(text);
  const at = pkg ? pkg.index + pkg[0].length : 0;
  return `${text.slice(0, at)}\nimport "strings"\n${text.slice(at)}`;
}
