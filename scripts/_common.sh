# Shared by scripts/run and scripts/test: tools, servers, the Python environment.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {  # host port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do port_open "$1" "$2" && return 0; sleep 0.25; done
  return 1
}

ensure_postgres() {
  port_open "$PG_HOST" "$PG_PORT" && return 0
  if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    say "PostgreSQL is down: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_port "$PG_HOST" "$PG_PORT" 30 ||
    die "PostgreSQL is not reachable on $PG_HOST:$PG_PORT — start it (sudo pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start) or set PG_HOST/PG_PORT and the *_DATABASE_URL variables."
}

ensure_rabbitmq() {
  port_open "$AMQP_HOST" "$AMQP_PORT" && return 0
  if [ "$(id -u)" = 0 ] && command -v rabbitmq-server >/dev/null 2>&1; then
    say "RabbitMQ is down: starting it"
    rabbitmq-server -detached || true
  fi
  wait_port "$AMQP_HOST" "$AMQP_PORT" 90 ||
    die "RabbitMQ is not reachable on $AMQP_HOST:$AMQP_PORT — start it (sudo rabbitmq-server -detached) or set AMQP_HOST/AMQP_PORT and AMQP_URL."
  if command -v rabbitmqctl >/dev/null 2>&1; then rabbitmqctl -q await_startup >/dev/null 2>&1 || true; fi
}

ensure_uv() {
  command -v uv >/dev/null 2>&1 && return 0
  [ -x "$HOME/.local/bin/uv" ] && export PATH="$HOME/.local/bin:$PATH" && return 0
  say "Installing uv (the workspace's package manager) from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check uv >&2 ||
    python3 -m pip install --quiet --user uv >&2 ||
    die "could not install uv: run 'python3 -m pip install uv'"
  command -v uv >/dev/null 2>&1 || export PATH="$HOME/.local/bin:$PATH"
}

sync_env() {  # extra uv sync arguments
  ensure_uv
  say "Installing the workspace (uv sync)"
  uv sync --frozen --python 3.11 "$@" >&2
  export PATH="$ROOT/.venv/bin:$PATH"
}

ensure_pdf_libs() {
  # billing prints invoice PDFs with WeasyPrint, which loads Debian's Pango at run time.
  if ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Pango and a font for billing's invoice PDFs"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null ||
      say "Could not install Pango: invoice PDFs will fail (apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)"
  else
    say "No Pango: invoice PDFs will fail (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)"
  fi
}

ensure_nginx() {
  # The reverse proxy's configuration (deploy/kubernetes/proxy/nginx.conf) is checked with
  # `nginx -t` by tests/compose/test_proxy.py; Debian's package is not started by the tests.
  command -v nginx >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian's nginx-light to check the proxy configuration"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null ||
      say "Could not install nginx-light: the proxy configuration checks will be skipped"
  else
    say "No nginx: the proxy configuration checks will be skipped (sudo apt-get install nginx-light)"
  fi
}

ensure_chromium() {
  # The browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian's Chromium for the browser tests"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null ||
      say "Could not install chromium: the browser tests will be skipped (install the 'chromium' package)"
  else
    say "No /usr/bin/chromium: the browser tests will be skipped (sudo apt-get install chromium)"
  fi
}
