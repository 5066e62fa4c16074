#!/usr/bin/env bash
# Headless Chromium for the report's browser test comes from Debian (Playwright's own browser
# download cannot reach its CDN from these machines). Idempotent; needs root and apt-get.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get not found; install Chromium yourself or set SALESPLAN_CHROMIUM=/path/to/chromium" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-chromium: installing Debian's chromium (one-off, about a minute)"
$SUDO apt-get update -qq
# fonts-noto-cjk: the Chinese report renders its labels instead of empty boxes.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
