#!/usr/bin/env bash
# Makes sure what the end-to-end tests run for real is installed: a
# Prometheus server, and Chromium for the web UI's browser test.
# As root on Debian/Ubuntu it installs the distribution's packages; otherwise
# it says exactly what to install. It never lets the tests skip silently.
set -euo pipefail

have_prometheus() {
  command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ]
}

have_chromium() {
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]
}

missing=()
have_prometheus || missing+=(prometheus)
have_chromium || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages) for the end-to-end tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The prometheus package starts a system service on some setups; the tests run their own.
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    (systemctl stop prometheus 2>/dev/null || service prometheus stop 2>/dev/null || pkill -x prometheus 2>/dev/null) || true
  fi
  have_prometheus && have_chromium && exit 0
fi
cat >&2 <<'MSG'
The end-to-end tests need a real Prometheus server binary and Chromium on PATH.
Install them with:
    sudo apt-get install -y prometheus chromium     # Debian/Ubuntu
or download a Prometheus release from prometheus.io and put `prometheus` on
PATH, and install Chromium (the web UI's browser test drives it headless).
MSG
exit 1
