#!/usr/bin/env bash
# Installs code-server (the VS Code workbench served to a browser, with the desktop Node extension
# host) and Debian's chromium, for the real-editor tests and `npm start`. Uses only npm and Debian.
# Usage: scripts/install-code-server.sh [--without-chromium] [DIR]
#   DIR defaults to .vscode-test/code-server; idempotent. `npm start` needs no chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
with_chromium=true
if [ "${1:-}" = --without-chromium ]; then with_chromium=false; shift; fi
dir=${1:-$root/.vscode-test/code-server}
version=${CODE_SERVER_VERSION:-4.100.3}   # Code 1.100.3; code-server 4.x needs Node 20

# apt-get update only when something is missing: it is slow and needs the Debian mirror.
# CI runs as root; a developer's machine goes through sudo.
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then $sudo apt-get update -qq; apt_updated=true; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The tests drive Debian's chromium; Playwright's own browser download cannot work offline.
if [ "$with_chromium" = true ] && [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
# Native modules need Kerberos headers; ripgrep replaces the binary code-server would download.
dpkg -s libkrb5-dev ripgrep >/dev/null 2>&1 || apt_install libkrb5-dev ripgrep

mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
# code-server writes a default config into XDG_CONFIG_HOME on first run; keep it out of $HOME.
export XDG_CONFIG_HOME="$dir/.config"
if "$dir/node_modules/.bin/code-server" --version >/dev/null 2>&1; then exit 0; fi
echo "installing code-server $version into $dir (a few minutes)" >&2

cd "$dir"
[ -f package.json ] || echo '{"private":true}' > package.json
# Install scripts off: code-server's postinstall downloads ripgrep from the internet.
npm install --no-save --ignore-scripts --no-audit --no-fund "code-server@$version" >/dev/null
npm rebuild argon2 >/dev/null

cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null
NPM_CONFIG_YES=true npm rebuild kerberos @vscode/spdlog node-pty native-watchdog \
  @parcel/watcher @vscode/deviceid >/dev/null
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# VS Code loads node_modules.asar in packaged builds; code-server ships it unpacked.
ln -sfn node_modules node_modules.asar
(cd extensions && npm install --omit=dev --no-audit --no-fund >/dev/null)

"$dir/node_modules/.bin/code-server" --version
