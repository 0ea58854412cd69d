// Turns a failed schema keyword into a sentence a person understands, and a certain fix when
// there is one. Never puts a secret value into a message.
import { formatIPv4, parseCidr } from './ipv4';
import type { JsonSchema } from './schemaTypes';

export interface ValueProblemInput {
  code: string;
  keyword: string;
  params: Record<string, unknown>;
  /** `node_cidr`, `nodes[1].address`, ... */
  key: string;
  value: unknown;
  schema: JsonSchema;
  isSecret: boolean;
}

export interface ValueProblemText {
  message: string;
  /** The value text (YAML) that fixes the problem, when certain. */
  replacement?: string;
}

/** Shows a value in a message: quoted strings, plain numbers and booleans, `(empty)` for null. */
export function showValue(value: unknown, isSecret: boolean): string {
  if (isSecret) return '(secret value hidden)';
  if (value === null || value === undefined) return '(empty)';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? value.slice(0, 77) + '...' : value);
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return String(value);
}

function typeWord(type: unknown): string {
  const names: Record<string, string> = {
    string: 'a string',
    boolean: 'true or false',
    integer: 'a whole number',
    number: 'a number',
    array: 'a list',
    object: 'a mapping',
    null: 'empty',
  };
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => names[String(t)] ?? String(t)).join(' or ');
}

function describeType(input: ValueProblemInput): ValueProblemText {
  const { key, value, schema, isSecret } = input;
  const wanted = typeWord(schema.type);
  if (value === null) return { message: `${key} has no value. Give it ${wanted}, or remove the key to leave it unset.` };
  if (schema.type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    if (isSecret) return { message: `${key} must be a string; its value is read as a ${typeof value}. Put it in quotes.`, replacement: JSON.stringify(String(value)) };
    return {
      message: `${key} must be a string; ${String(value)} is read as a ${typeof value}. Quote it: "${String(value)}".`,
      replacement: JSON.stringify(String(value)),
    };
  }
  if (schema.type === 'boolean' && typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return {
      message: `${key} must be true or false without quotes; ${showValue(value, isSecret)} is a string.`,
      replacement: value.toLowerCase(),
    };
  }
  if ((schema.type === 'integer' || schema.type === 'number') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) {
    return { message: `${key} must be ${wanted} without quotes; ${showValue(value, isSecret)} is a string.`, replacement: value };
  }
  return { message: `${key} must be ${wanted}, not ${showValue(value, isSecret)}.` };
}

function allowed(schema: JsonSchema): string {
  return (schema.enum ?? []).map((v) => String(v)).join(', ');
}

/**
 * The message for one failed keyword. Example: code `ipv4`, key `cluster_api_addr`, value `10.0.0` →
 * "cluster_api_addr must be an IPv4 address such as 192.168.1.10; "10.0.0" is not."
 */
export function describeValueProblem(input: ValueProblemInput): ValueProblemText {
  const { code, key, value, schema, isSecret, params } = input;
  const shown = showValue(value, isSecret);
  switch (code) {
    case 'type':
      return describeType(input);
    case 'non-empty':
      return { message: `${key} is empty. Remove the key to leave it unset, or give it a value.` };
    case 'ipv4':
      return { message: `${key} must be an IPv4 address such as 192.168.1.10 (four numbers 0–255, no leading zeros); ${shown} is not.` };
    case 'cidr':
      return { message: `${key} must be an IPv4 CIDR with a prefix length, such as 192.168.1.0/24; ${shown} is not.` };
    case 'cidr-canonical': {
      const cidr = typeof value === 'string' ? parseCidr(value) : undefined;
      const canonical = cidr ? `${formatIPv4(cidr.network)}/${cidr.prefix}` : undefined;
      return {
        message: canonical
          ? `${key} has host bits set: ${shown} should be written as its network address, ${canonical}.`
          : `${key} must be written as its network address.`,
        replacement: canonical ? JSON.stringify(canonical) : undefined,
      };
    }
    case 'svc-cidr-size':
      return {
        message: `${key} ${shown} is too small: it needs at least ${String(schema.minCidrAddresses ?? 11)} addresses (a /28 or larger), because CoreDNS takes its 10th address.`,
      };
    case 'enum-loadbalancer-mode':
    case 'enum-repository-visibility':
    case 'enum':
      if (input.keyword === 'const') return { message: `${key} must be ${showValue(schema.const, false)}; ${shown} is not.` };
      return { message: `${key} must be one of ${allowed(schema)}; ${shown} is not.` };
    case 'fqdn':
      return { message: `${key} must be a domain name such as example.com (lowercase, at least two labels, no scheme, path, port or wildcard); ${shown} is not.` };
    case 'repository-name':
      return { message: `${key} must be a GitHub owner/repo path such as my-user/home-ops (no https://, no git@, no .git); ${shown} is not.` };
    case 'cloudflare-token':
      return { message: `${key} is empty: task configure needs a Cloudflare API token (Zone:DNS:Edit and Account:Cloudflare Tunnel:Read).` };
    case 'vlan-tag':
      return { message: `${key} must be a VLAN ID from 1 to 4094 written as a quoted string, e.g. "100"; ${shown} is not.` };
    case 'bgp-asn':
      return { message: `${key} must be an AS number from 1 to 4294967295 written as a quoted string, e.g. "64513"; ${shown} is not.` };
    case 'node-name-format':
      return { message: `${key} must be a lowercase host name of 1–63 letters, digits and dashes that starts and ends with a letter or digit; ${shown} is not.` };
    case 'node-name-reserved':
      return { message: `${key} must not be ${shown}: global, controller and worker are reserved by talhelper. Use e.g. "k8s-0".` };
    case 'mac-format':
      return {
        message: `${key} must be a MAC address of six lowercase hex pairs separated by colons, such as 00:11:22:aa:bb:cc; ${shown} is not.`,
        replacement:
          typeof value === 'string' && /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(value)
            ? JSON.stringify(value.toLowerCase().replace(/-/g, ':'))
            : undefined,
      };
    case 'schematic-id-format':
      return { message: `${key} must be a Talos Image Factory schematic ID: exactly 64 lowercase letters and digits; ${shown} has ${typeof value === 'string' ? value.length : 0} characters or other characters.` };
    case 'mtu-range':
      return { message: `${key} must be a whole number from 1450 to 9000; ${shown} is not.` };
    case 'url':
      return { message: `${key} must be an http:// or https:// URL such as https://id.example.com/realms/main; ${shown} is not.` };
    case 'age-public-key':
      return { message: `${key} must be an age public key (age1 followed by 58 characters; see age.key); ${shown} is not.` };
    case 'range':
      return { message: `${key} ${shown} is out of range${rangeText(schema, params)}.` };
    case 'pattern':
      return { message: `${key} ${shown} does not have the expected form${schema.pattern ? ` (pattern ${schema.pattern})` : ''}.` };
    case 'format':
      return { message: `${key} must be a valid ${String(schema.format ?? 'value')}; ${shown} is not.` };
    default:
      return { message: `${key} ${shown} is not allowed by the schema (${input.keyword}).` };
  }
}

function rangeText(schema: JsonSchema, params: Record<string, unknown>): string {
  if (schema.decimalRange) return `: it must be a number from ${schema.decimalRange[0]} to ${schema.decimalRange[1]} written as a string`;
  const parts: string[] = [];
  if (schema.minimum !== undefined) parts.push(`at least ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`at most ${schema.maximum}`);
  if (schema.minItems !== undefined) parts.push(`at least ${schema.minItems} items`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (parts.length === 0 && typeof params.limit === 'number') parts.push(`limit ${params.limit}`);
  return parts.length ? `: it must be ${parts.join(' and ')}` : '';
}
