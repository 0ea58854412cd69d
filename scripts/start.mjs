// `npm start`: builds the .vsix, installs code-server if needed, installs the extension into a
// persistent profile under .vscode-test/run/, and serves the example/ folder itself (edits are
// real) at http://127.0.0.1:$PORT (default 8080) until Ctrl+C.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const codeServer = join(root, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
const profile = join(root, '.vscode-test', 'run');
const workspace = join(root, 'example');
const vsix = join(root, 'dist', 'cluster-template-tools.vsix');
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`start: PORT must be a port number, got ${process.env.PORT}`);
  process.exit(2);
}

/**
 * The example's templates call age_key('public'); a real repository gets age.key from `task init`.
 * A throwaway key for the example (git-ignored there), made with age-keygen when it is installed.
 */
function ensureExampleAgeKey() {
  const keyFile = join(workspace, 'age.key');
  if (existsSync(keyFile)) return;
  const made = spawnSync('age-keygen', ['-o', keyFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (made.status === 0) {
    chmodSync(keyFile, 0o600);
    console.log('start: created example/age.key, a throwaway key for the example workspace');
  } else {
    console.log('start: example/age.key is missing and age-keygen is not installed (apt-get install age);\n' +
      '       rendering the example stops at age_key() until a key is there');
  }
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`start: ${command} ${args.join(' ')} failed`);
    process.exit(result.status ?? 1);
  }
}

run('npm', ['run', 'package']);
ensureExampleAgeKey();
run('bash', [join(root, 'scripts', 'install-code-server.sh'), '--without-chromium']);

// One profile that survives restarts (settings, open editors); --config keeps code-server away
// from ~/.config/code-server.
mkdirSync(profile, { recursive: true });
const profileArgs = [
  '--config', join(profile, 'config.yaml'),
  '--extensions-dir', join(profile, 'extensions'),
  '--user-data-dir', join(profile, 'user-data'),
];
// --force replaces an installed copy of the same version with this fresh build.
run(codeServer, [...profileArgs, '--install-extension', vsix, '--force'], { stdio: ['ignore', 'ignore', 'inherit'] });

const server = spawn(
  codeServer,
  [...profileArgs, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', workspace],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);

let announced = false;
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /HTTP server listening on/.test(chunk.toString())) {
    announced = true;
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
    console.log(`\nCluster Template Tools is running in VS Code (code-server). Open:\n\n  ${url}\n\nCtrl+C stops it.\n`);
  }
});

// Ctrl+C reaches code-server too (same process group); forward other stop signals ourselves.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => {
  if (!announced) console.error('start: code-server stopped before it was listening');
  process.exit(code ?? (signal ? 0 : 1));
});
