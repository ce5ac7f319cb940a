# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by build-aux/run and build-aux/test: installs the Debian packages a
# step needs when they are missing (with sudo when not root), saying so.

natter_missing_packages () {
  local pkg missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]}"
}

natter_install_packages () {
  local missing
  missing=$(natter_missing_packages "$@")
  [ -z "$missing" ] && return 0
  echo "==> Installing Debian packages: $missing"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "error: these packages are missing and I am not root (and there is no sudo): $missing" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists yet; refresh them once.
  if ! "${sudo[@]}" apt-get install -y --no-install-recommends $missing; then
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends $missing
  fi
}

# What building the server needs; the app adds its own.
NATTER_BUILD_PACKAGES="gcc libc6-dev meson ninja-build pkg-config libglib2.0-dev libsqlite3-dev gettext python3"
NATTER_APP_PACKAGES="libgtk-4-dev dconf-gsettings-backend adwaita-icon-theme fonts-noto-cjk"
# What the tests need besides: namespaces, systemd-analyze, a real X server
# and session bus for the app, a notification daemon
NATTER_TEST_PACKAGES="iproute2 nftables conntrack procps systemd xvfb xauth dbus notification-daemon desktop-file-utils appstream flatpak-builder"
