#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python packages (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests: Debian's Chromium (never a browser downloaded by Playwright) and an emoji font
# for readable screenshots. Needs root; without it the browser tests skip with a notice
# (CI=true makes them fail instead).
apt_install() {
    apt-get install -y "$@" >/dev/null 2>&1 \
        || { apt-get update >/dev/null 2>&1 && apt-get install -y "$@" >/dev/null; }
}
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "color emoji"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing chromium and fonts-noto-color-emoji with apt"
        apt_install chromium fonts-noto-color-emoji || echo "NOTICE: apt could not install chromium"
    else
        echo "NOTICE: /usr/bin/chromium is missing and apt-get needs root; browser tests will skip"
    fi
fi

# Deployment test (tests/operations/test_deploy.py): `nginx -t` on deploy/nginx/ in a private
# prefix (the system nginx is never started). Without it the test skips (CI=true: fails).
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing nginx-light with apt"
        apt_install nginx-light || echo "NOTICE: apt could not install nginx"
        # The package starts a system nginx on port 80 where systemd runs: the tests need none.
        if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
            systemctl disable --now nginx >/dev/null 2>&1 || true
        fi
    else
        echo "NOTICE: nginx is missing and apt-get needs root; the nginx test will skip"
    fi
fi

# JavaScript client compatibility test: socket.io-client v4 from npm, pinned by the lockfile in
# tests/realtime/js (node_modules is gitignored). Without node the test skips with a notice
# (CI=true makes it fail instead).
if [ ! -d tests/realtime/js/node_modules/socket.io-client ]; then
    if command -v npm >/dev/null; then
        echo "installing socket.io-client into tests/realtime/js"
        (cd tests/realtime/js && npm ci --no-audit --no-fund --loglevel=error)
    else
        echo "NOTICE: npm is missing; the JavaScript client test will skip"
    fi
fi
