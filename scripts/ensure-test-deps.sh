#!/usr/bin/env bash
# Makes sure what the test suite needs is on this machine: the Debian packages of the test fleet
# (OpenSSH server, nginx, HAProxy, socat, nftables to take a host dark) and of the real-container tier
# (podman with runc, its netavark network stack and iptables, a local docker-registry, static busybox for
# the test image, iproute2 for the hosts' network namespaces), Debian's chromium for the dashboard's browser
# tests (driven by playwright-core; no browser is downloaded), redis-server for the outage test's own Redis,
# Debian's ansible for the benchmark's comparison (bench/README.md),
# running PostgreSQL and Redis, and a fresh build in dist/ (the end-to-end tests start
# the compiled API and worker as real processes). runc, netavark and iptables are named because podman
# only recommends or offers them as alternatives (crun fails on this kernel's hybrid cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pair in /usr/sbin/sshd:openssh-server /usr/sbin/nginx:nginx /usr/sbin/haproxy:haproxy /usr/bin/socat:socat /usr/bin/ssh-keygen:openssh-client \
  /usr/bin/podman:podman /usr/sbin/runc:runc /usr/lib/podman/netavark:netavark /usr/sbin/iptables:iptables \
  /usr/bin/docker-registry:docker-registry /bin/busybox:busybox-static /usr/sbin/nft:nftables /sbin/ip:iproute2 \
  /usr/bin/chromium:chromium /usr/bin/redis-server:redis-server /usr/bin/ansible-playbook:ansible; do
  [ -x "${pair%%:*}" ] || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "The tests need these Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} …" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2
    sleep 1
  fi
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
fi

npm run --silent build >&2
