#!/usr/bin/env bash
# Installs the PayAll gateway terminal on Raspberry Pi OS (Debian bookworm, arm64) as the systemd
# service payall-terminal: a system user in the dialout, gpio and i2c groups, the data directory
# /var/lib/payall-terminal (0700, the key file in it 0600), the packed project installed without
# its development dependencies under /opt/payall/releases/VERSION with /opt/payall/current
# pointing at it, the gateway's key made once, and, given a hub and a token, its provisioning.
#
# Usage: sudo deploy/pi/install.sh PACKAGE.tgz [--hardware FILE] [--hub URL --token TOKEN [--hub-cert FILE]]
#   PACKAGE.tgz      the project packed by `npm pack` (npm run build first)
#   --hardware FILE  the gateway's hardware.json (see terminal/hardware-config.ts), copied into the data directory
#   --hub, --token   provision the gateway with this hub and the operator's one-time token
#   --hub-cert FILE  the hub's TLS certificate, when it is self-signed: trusted for provisioning, then pinned
# Run again with a newer package to upgrade: the data directory is kept, the service restarted.
set -euo pipefail

APP_ROOT=/opt/payall
DATA_DIR=/var/lib/payall-terminal
SERVICE=payall-terminal
SERVICE_USER=payall
NODE_MAJOR_MIN=20
HERE="$(cd "$(dirname "$0")" && pwd)"

fail() { echo "install.sh: $*" >&2; exit 1; }

[ "$#" -ge 1 ] || fail "usage: install.sh PACKAGE.tgz [--hardware FILE] [--hub URL --token TOKEN [--hub-cert FILE]]"
PACKAGE="$(realpath "$1")"; shift
HARDWARE="" HUB="" TOKEN="" HUB_CERT=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --hardware) HARDWARE="$(realpath "$2")"; shift 2 ;;
    --hub) HUB="$2"; shift 2 ;;
    --token) TOKEN="$2"; shift 2 ;;
    --hub-cert) HUB_CERT="$(realpath "$2")"; shift 2 ;;
    *) fail "unknown option $1" ;;
  esac
done
[ -f "$PACKAGE" ] || fail "no package at $PACKAGE"
if [ -n "$HUB$TOKEN" ] && { [ -z "$HUB" ] || [ -z "$TOKEN" ]; }; then fail "--hub and --token go together"; fi
if [ -n "$HUB_CERT" ] && [ -z "$HUB" ]; then fail "--hub-cert goes with --hub and --token"; fi
[ "$(id -u)" -eq 0 ] || fail "run as root (sudo)"

# Raspberry Pi OS bookworm on arm64 is what this script is written for; elsewhere it says so and goes on.
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || echo "install.sh: written for Debian bookworm, this is ${PRETTY_NAME:-unknown}" >&2
[ "$(uname -m)" = aarch64 ] || echo "install.sh: written for arm64, this is $(uname -m)" >&2

# Node 20.19 or later: bookworm's own nodejs is 18, too old; NodeSource's packages (or any Node 20+) serve.
command -v node >/dev/null || fail "Node.js ${NODE_MAJOR_MIN}.19+ is needed: see https://github.com/nodesource/distributions (apt-get install nodejs)"
NODE="$(command -v node)"
node -e "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)" \
  || fail "Node.js $(node --version) is too old: ${NODE_MAJOR_MIN}.19 or later is needed"

# What native modules need when no prebuilt binary fits (serialport, better-sqlite3, noble's HCI socket).
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential python3 libudev-dev >/dev/null

# The service's user: no login, no home but the data directory, in the groups of the devices.
for group in dialout gpio i2c; do getent group "$group" >/dev/null || groupadd --system "$group"; done
id -u "$SERVICE_USER" >/dev/null 2>&1 \
  || useradd --system --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
usermod -a -G dialout,gpio,i2c "$SERVICE_USER"
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"

# The release: the packed project and its production dependencies, beside the releases before it.
VERSION="$(tar -xzOf "$PACKAGE" package/package.json | node -e "process.stdout.write(JSON.parse(require('fs').readFileSync(0, 'utf8')).version)")"
RELEASE="$APP_ROOT/releases/$VERSION"
rm -rf "$RELEASE.new"
install -d -m 0755 "$RELEASE.new"
# The project's allowScripts go to the root: npm 11 runs no dependency's install script (the native
# builds of better-sqlite3 and serialport) that the root package does not allow.
tar -xzOf "$PACKAGE" package/package.json \
  | node -e "const p = JSON.parse(require('fs').readFileSync(0, 'utf8')); process.stdout.write(JSON.stringify({ name: 'payall-gateway', private: true, allowScripts: p.allowScripts }, null, 2))" \
  > "$RELEASE.new/package.json"
npm install --prefix "$RELEASE.new" --omit=dev --no-audit --no-fund "$PACKAGE"
rm -rf "$RELEASE"
mv "$RELEASE.new" "$RELEASE"
ln -sfn "$RELEASE" "$APP_ROOT/current.new"
mv -T "$APP_ROOT/current.new" "$APP_ROOT/current"
ln -sfn "$APP_ROOT/current/node_modules/.bin/payall-terminal" /usr/local/bin/payall-terminal

# The unit, with this machine's node and the release's path.
sed -e "s|@NODE@|$NODE|g" -e "s|@APP@|$APP_ROOT/current|g" "$HERE/payall-terminal.service" > "/etc/systemd/system/$SERVICE.service"
systemctl daemon-reload

as_service() { runuser -u "$SERVICE_USER" -- env PAYALL_TERMINAL_DATA="$DATA_DIR" "$NODE" "$APP_ROOT/current/node_modules/payall/dist/terminal/cli.js" "$@"; }
# The key is made once, on this machine; a second run keeps it.
[ -f "$DATA_DIR/gateway-key" ] || as_service init
if [ -n "$HARDWARE" ]; then install -m 0600 -o "$SERVICE_USER" -g "$SERVICE_USER" "$HARDWARE" "$DATA_DIR/hardware.json"; fi
if [ -n "$HUB_CERT" ]; then
  # A copy the service user can read (the file may sit in a home it cannot enter); once pinned, the database holds it.
  CERT_COPY="$(mktemp)"
  install -m 0644 "$HUB_CERT" "$CERT_COPY"
  as_service provision --hub "$HUB" --token "$TOKEN" --hub-cert "$CERT_COPY" || { rm -f "$CERT_COPY"; exit 1; }
  rm -f "$CERT_COPY"
elif [ -n "$HUB" ]; then as_service provision --hub "$HUB" --token "$TOKEN"; fi

systemctl enable "$SERVICE" >/dev/null
if as_service status --json | node -e "process.exit(JSON.parse(require('fs').readFileSync(0, 'utf8')).provisioned ? 0 : 1)" \
  && [ -f "$DATA_DIR/hardware.json" ]; then
  systemctl restart "$SERVICE"
  echo "payall-terminal $VERSION is running: systemctl status $SERVICE; journalctl -u $SERVICE -f"
else
  echo "payall-terminal $VERSION is installed; before it can start:"
  [ -f "$DATA_DIR/hardware.json" ] || echo "  put the hardware file in $DATA_DIR/hardware.json (or run again with --hardware FILE)"
  echo "  provision it if not done: sudo -u $SERVICE_USER PAYALL_TERMINAL_DATA=$DATA_DIR payall-terminal provision --hub URL --token TOKEN"
  echo "  then: sudo systemctl start $SERVICE"
fi
