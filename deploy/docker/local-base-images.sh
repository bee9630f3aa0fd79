#!/usr/bin/env bash
# Dev script: creates the base images `debian:12` and `debian:12-slim` locally with debootstrap from a
# Debian mirror and `docker import`s them. It stands in for Docker Hub on machines that cannot reach
# it (the Dockerfile keeps its real `FROM debian:12…` lines; with Hub access you never need this).
#
# Faithful to how the official images are made (debuerreotype): BOTH are `--variant=minbase`
# bookworm trees with the Docker minimizing config (no service starts, apt cleans after itself, gzip
# indexes, no translations); the slim one additionally drops docs (keeping copyright files), man,
# info, groff, lintian overrides and locales, and installs a dpkg config so later installs stay slim.
#
#   deploy/docker/local-base-images.sh [--force]      (root; needs debootstrap and a docker daemon)
# Env: FT_DEBIAN_MIRROR (default http://deb.debian.org/debian), FT_DEBIAN_SECURITY_MIRROR.
set -euo pipefail

suite=bookworm
mirror=${FT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${FT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
force=0
[ "${1:-}" = --force ] && force=1

[ "$(id -u)" -eq 0 ] || { echo "local-base-images: run as root (debootstrap needs it)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "local-base-images: apt-get install debootstrap" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "local-base-images: no docker daemon answers" >&2; exit 1; }

if [ $force = 0 ] && docker image inspect debian:12 debian:12-slim >/dev/null 2>&1; then
  echo "local-base-images: debian:12 and debian:12-slim exist (--force rebuilds them)"
  exit 0
fi

work=$(mktemp -d /var/tmp/ft-base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
full=$work/full
slim=$work/slim

# Containers never start services, so package installs must not try.
minimize() {
  local root=$1
  printf '#!/bin/sh\n# no services start inside an image build\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  printf '# image builds need no fsync after each package\nforce-unsafe-io\n' \
    >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  local conf=$root/etc/apt/apt.conf.d
  printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$conf/docker-autoremove-suggests"
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  cat >"$conf/docker-clean" <<EOF
// Every install is a layer: keep the package cache out of it.
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::GzipIndexes "true";\n' >"$conf/docker-gzip-indexes"
  printf 'Acquire::Languages "none";\n' >"$conf/docker-no-languages"
  chmod 0644 "$conf"/docker-* "$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
}

# The deb822 sources file of the official image: main, updates and security.
write_sources() {
  local root=$1
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

# What the build host leaves behind: apt lists, logs, and files Docker provides at run time.
scrub() {
  local root=$1
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  rm -f "$root"/var/log/dpkg.log "$root"/var/log/bootstrap.log "$root"/var/log/alternatives.log \
    "$root"/var/log/apt/*.log "$root"/etc/hostname "$root"/etc/resolv.conf
  : >"$root/etc/machine-id"
  rm -rf "$root"/tmp/* "$root"/var/tmp/* "$root"/proc/* "$root"/sys/* "$root"/dev/* "$root"/run/*
}

# The slim variant: these trees go, except the includes; dpkg keeps them out of later installs too.
slim_excludes=(/usr/share/doc/ /usr/share/groff/ /usr/share/info/ /usr/share/linda/
  /usr/share/lintian/overrides/ /usr/share/locale/ /usr/share/man/)
slim_includes=('/usr/share/doc/*/copyright' '/usr/share/doc/kde/HTML/C/*' '/usr/share/gnome/help/*/C/*'
  /usr/share/locale/all_languages '/usr/share/locale/currency/*' '/usr/share/locale/l10n/*'
  /usr/share/locale/languages /usr/share/locale/locale.alias '/usr/share/omf/*/*-C.emf')
slimify() {
  local root=$1 dir pattern
  local cfg=$root/etc/dpkg/dpkg.cfg.d/docker
  {
    echo '# The "slim" variant of the Debian base image: files containers rarely need are excluded,'
    echo '# and this keeps them excluded for packages installed later.'
    for dir in "${slim_excludes[@]}"; do echo "path-exclude ${dir}*"; done
    for pattern in "${slim_includes[@]}"; do echo "path-include $pattern"; done
  } >"$cfg"
  chmod 0644 "$cfg"
  # find runs inside the tree so that absolute symlinks (/etc/alternatives/...) resolve there.
  local keep=()
  for pattern in "${slim_includes[@]}"; do
    [ ${#keep[@]} -eq 0 ] || keep+=(-o)
    keep+=(-path "$pattern")
  done
  for dir in "${slim_excludes[@]}"; do
    [ -d "$root$dir" ] || continue
    # Files first (directories and symlinks may lead to kept files), then empty dirs and dangling links.
    chroot "$root" find "$dir" -mindepth 1 -depth -not \( "${keep[@]}" \) -not \( -type d -o -type l \) -delete
    while [ -n "$(chroot "$root" find "$dir" -mindepth 1 -depth \( -empty -o -xtype l \) -print -delete)" ]; do :; done
  done
}

import() {
  local root=$1 tag=$2
  tar -C "$root" --numeric-owner --xattrs -c . |
    docker import --change 'CMD ["bash"]' --message "debootstrap --variant=minbase $suite ($mirror)" - "$tag"
}

echo "local-base-images: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$full" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; exit 1; }
minimize "$full"
write_sources "$full"
scrub "$full"
cp -a "$full" "$slim"
slimify "$slim"

import "$full" debian:12
import "$slim" debian:12-slim
docker image ls debian
