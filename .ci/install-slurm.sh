#!/usr/bin/env bash
# Install what tests/slurm_cluster.py needs for a single-node SLURM cluster: Debian's slurmctld,
# slurmd, the client commands (sbatch, squeue, scontrol, sinfo) and munge. Run as root.
# Idempotent: does nothing when every package is already installed. The daemons are not
# started or enabled here; the test fixture writes its own slurm.conf and starts them itself.
set -euo pipefail

packages=(slurmctld slurmd slurm-client munge)

missing=()
for pkg in "${packages[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != "installed" ]; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-slurm: ${packages[*]} already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-slurm: must run as root to install ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep the packages' own init scripts from starting the daemons with the stock config.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && added_policy=1
fi
trap 'if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi' EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "install-slurm: installed ${missing[*]}"
