#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python packages (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
