#!/usr/bin/env bash
# Installs what ecompipe needs to build and test on Debian 12, from Debian's packages.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config python3
  python3-aiosmtpd  # the real SMTP server of tests/e2e/test_notify_email.py (runs under /usr/bin/python3)
  postgresql-15 libpq-dev  # the PostgreSQL warehouse and state store; scripts/pg-test-server.sh runs a private server
  libsqlite3-dev sqlite3 nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsimdjson-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev libssl-dev
  libexpat1-dev  # XML: S3 answers and the S3 endpoint's request bodies (common/xml)
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev  # the S3 endpoint's HTTP server
  libjs-chart.js  # Chart.js, compiled into the dashboard (src/api/dashboard/; read from /usr/share/javascript)
  chromium chromium-driver python3-selenium  # the dashboard test in a real headless browser (tests/e2e/browser.py)
  prometheus-cpp-dev  # /metrics in Prometheus's text format (src/metrics/)
  prometheus  # tests/e2e/test_prometheus.py: a real Prometheus scrapes serve; promtool check metrics
  awscli rclone  # real S3 clients of tests/e2e/test_s3_endpoint_cli.py
  faketime  # EP_TEST_CLOCK=... scripts/test.sh runs the suite at a fixed wall clock
  libsystemd-dev  # sd_notify: Type=notify readiness and the watchdog (optional at build)
  # The Debian package (scripts/package.sh, ctest -L package): CPack's dpkg-shlibdeps and file,
  # lintian, systemd-analyze verify for the unit, zsh to parse the generated completion.
  dpkg-dev file lintian systemd zsh
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
