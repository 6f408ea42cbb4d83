#!/usr/bin/env bash
# The one test command. On a fresh Debian machine with Go and Node it
# installs what the tests need (PostgreSQL, MariaDB and Redis server
# binaries, and Chromium with CJK fonts for the browser tests), then runs go
# vet, every Go test with the race detector, the mini-program client's tests
# and the browser tests of the dev-mode pages (e2e/). The Go tests start their own throwaway
# servers on loopback (random ports, temporary directories) and stop them,
# also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v mariadbd >/dev/null || command -v mysqld >/dev/null || missing+=(mariadb-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx) # the gateway test
# The browser tests (e2e/): Debian's Chromium, CJK fonts so that Chinese
# pages render in the screenshots, and sqlite3 to seed the console's history.
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  # policy-rc.d keeps the packages from starting system-wide servers: the
  # tests start their own. A policy the machine already has is left alone.
  ours=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    ours=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$ours" ] || $sudo rm -f /usr/sbin/policy-rc.d
fi

# The S3 server of the avatar store tests: a Go binary, built from the
# module proxy (pinned as testserver.VersityGWVersion).
if ! command -v versitygw >/dev/null && [ ! -x "$(go env GOPATH)/bin/versitygw" ]; then
  echo "== installing versitygw (S3 server for tests)"
  go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

# Backend suites must run here, not skip: a missing server is a failure.
export MINIAUTH_TEST_REQUIRE_BACKENDS=1

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -timeout 15m ./...

echo "== client (npm ci, size budget, build, node --test)"
(cd client && npm ci --no-audit --no-fund --loglevel=error && npm run size && npm test)

echo "== browser tests: the console and the scan-to-log-in demo page in headless Chromium (npm ci, node --test; screenshots in e2e/artifacts/)"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error && npm test)
