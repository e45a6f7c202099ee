#!/usr/bin/env bash
# Makes sure the end-to-end tests' real Prometheus server is installed.
# As root on Debian/Ubuntu it installs the distribution's package; otherwise it
# says exactly what to install. It never lets the tests skip silently.
set -euo pipefail

have_prometheus() {
  command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ]
}

if have_prometheus; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing prometheus (Debian package) for the end-to-end tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts a system service on some setups; the tests run their own.
  (systemctl stop prometheus 2>/dev/null || service prometheus stop 2>/dev/null || pkill -x prometheus 2>/dev/null) || true
  have_prometheus && exit 0
fi
cat >&2 <<'MSG'
The end-to-end tests need a real Prometheus server binary on PATH.
Install it with:
    sudo apt-get install -y prometheus        # Debian/Ubuntu
or download a release from prometheus.io and put `prometheus` on PATH.
MSG
exit 1
