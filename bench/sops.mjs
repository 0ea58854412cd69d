// `npm run bench` (SOPS part): the issue 5 targets, measured in-process on a generated Kubernetes
// Secret with 50 values, encrypted the cluster-template way (encrypted_regex ^(data|stringData)$,
// mac_only_encrypted, indent 2, one age recipient): encrypt and decrypt medians under 5 ms, and
// decryption at least as fast as sops-age on the same file in the same run. A benchmark, not a
// test: it fails only when it cannot measure or the engines disagree on the result.
//
// Options: --iterations=N (timed rounds per measurement, default 200), --warmup=N (default 30).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { decryptSops as sopsAgeDecrypt } from 'sops-age';
import { parse as parseYaml } from 'yaml';
import { ms, ratio, summarize, table, parseRoundOptions } from './stats.mjs';

const VALUES = 50;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench', '.work');
const options = parseRoundOptions(process.argv.slice(2), { iterations: 200, warmup: 30 });

const out = join(repoRoot, 'out', 'server', 'src', 'engines', 'sops');
compile();
const require = createRequire(import.meta.url);
const { decryptSops, decryptSopsWithIdentities, encryptSops, readSopsMetadata, unwrapDataKey } = require(join(out, 'sopsFormat.js'));

const identity = await generateX25519Identity();
const recipient = await identityToRecipient(identity);
const plaintext = generateSecret(VALUES);
const encryptOptions = { rule: { encrypted_regex: '^(data|stringData)$', mac_only_encrypted: true }, ageRecipients: [recipient], indent: 2 };
const encrypted = await encryptSops(plaintext, 'yaml', encryptOptions);

// Both engines must read the file the same way before their speed means anything.
const ours = await decryptWithIdentity(encrypted);
if (ours !== plaintext) { const a = plaintext.split("\n"), b = ours.split("\n"); const i = a.findIndex((line, n) => line !== b[n]); fail(`our decryption does not give the plaintext back (first difference at line ${i + 1})`); }
const theirs = await sopsAgeDecrypt(encrypted, { secretKey: identity, fileType: 'yaml' });
if (!isDeepStrictEqual(theirs, parseYaml(plaintext))) fail('sops-age reads the file differently');
const dataKey = await unwrapDataKey(readSopsMetadata(encrypted, 'yaml'), [identity]);

console.log(
  `\nsops: a Kubernetes Secret with ${VALUES} values (${(plaintext.length / 1024).toFixed(1)} KiB plaintext, ${(encrypted.length / 1024).toFixed(1)} KiB encrypted)\n` +
    `  encrypted_regex ^(data|stringData)$, mac_only_encrypted, indent 2, one age (X25519) recipient\n` +
    `  ${options.iterations} timed rounds after ${options.warmup} warm-up rounds per measurement\n`,
);

const encrypt = await timedAsync(() => encryptSops(plaintext, 'yaml', encryptOptions));
const decrypt = await timedAsync(() => decryptWithIdentity(encrypted));
const decryptKnownKey = await timedAsync(async () => decryptSops(encrypted, 'yaml', dataKey, { indent: 2 }));
const sopsAge = await timedAsync(() => sopsAgeDecrypt(encrypted, { secretKey: identity, fileType: 'yaml' }));

console.log(
  table(
    ['', 'median', 'p95', 'min', 'max'],
    [
      row('encrypt (new data key, age wrap, MAC)', encrypt),
      row('decrypt (age unwrap + values + MAC)', decrypt),
      row('decrypt with the data key known', decryptKnownKey),
      row('sops-age decryptSops (no MAC check)', sopsAge),
    ],
  ),
);
const speedup = sopsAge.median / decrypt.median;
console.log(`  decrypt vs sops-age: ours is ${ratio(speedup)} as fast (median ${ms(decrypt.median)} vs ${ms(sopsAge.median)})`);

const targets = [
  ['encrypt median < 5 ms', ms(encrypt.median), encrypt.median < 5],
  ['decrypt median < 5 ms', ms(decrypt.median), decrypt.median < 5],
  ['decrypt at least as fast as sops-age', ratio(speedup), speedup >= 1],
];
console.log('\n' + table(['target', 'value', ''], targets.map(([label, value, met]) => [label, value, met ? 'met' : 'MISSED'])));

mkdirSync(workDir, { recursive: true });
const file = join(workDir, 'sops-results.json');
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, options, values: VALUES, encrypt, decrypt, decryptKnownKey, sopsAge, speedup }, null, 2) + '\n');
console.log(`\nraw numbers: ${file}`);

async function decryptWithIdentity(text) {
  return (await decryptSopsWithIdentities(text, 'yaml', [identity], { indent: 2 })).plaintext;
}

function row(label, summary) {
  return [label, ms(summary.median), ms(summary.p95), ms(summary.min), ms(summary.max)];
}

async function timedAsync(action) {
  for (let i = 0; i < options.warmup; i++) await action();
  const samples = [];
  for (let i = 0; i < options.iterations; i++) {
    const start = performance.now();
    await action();
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

/** A cluster-template style Secret: clear metadata, 50 stringData values of mixed shapes, sops' own YAML style. */
function generateSecret(count) {
  const lines = ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: bench-secrets', '  namespace: flux-system', '  labels:', '    app.kubernetes.io/part-of: bench', 'type: Opaque', 'stringData:'];
  for (let i = 0; i < count; i++) {
    const name = `SECRET_VALUE_${String(i).padStart(2, '0')}`;
    if (i % 10 === 9) {
      lines.push(`  ${name}: |`, ...Array.from({ length: 4 }, (_, line) => `    ${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(2).slice(line, line + 64)}`));
    } else if (i % 5 === 4) {
      lines.push(`  # rotated by hand`, `  ${name}: "${1000 + i}"`);
    } else {
      lines.push(`  ${name}: bench-${i}-${'x'.repeat(24 + (i % 7))}`);
    }
  }
  return lines.join('\n') + '\n';
}

function fail(message) {
  console.error(`sops benchmark: ${message}`);
  process.exit(1);
}

function compile() {
  // The whole tree is compiled; type errors elsewhere must not stop the measurement.
  const result = spawnSync('npx', ['tsc', '-p', 'test/tsconfig.json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const missing = ['sopsFormat.js', 'yamlStore.js', 'dataKey.js'].filter((name) => !existsSync(join(out, name)));
  if (missing.length > 0) {
    process.stdout.write(result.stdout ?? '');
    fail(`could not compile: ${missing.join(', ')} missing`);
  }
  if (result.status !== 0) console.log(`note: tsc reported type errors (${(result.stdout.match(/error TS/g) ?? []).length}); measuring the emitted code`);
}

