#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs a build into a scratch directory and compares what lands there
# with the committed lists of installed files (paths relative to the prefix;
# translations under share/locale are left out of the comparison). Then
# configures a server-only build (-Dapp=false) of the same sources and checks
# that it installs the server, the terminal client and the systemd unit, and
# nothing of the desktop app.
#
#   test-install.sh MESON BUILD-DIR SOURCE-DIR PREFIX APP-ID APP(true|false)
#                   INSTALLED-FILES INSTALLED-FILES-SERVER
set -euo pipefail

if [ $# -ne 8 ]; then
  echo "usage: $0 MESON BUILD-DIR SOURCE-DIR PREFIX APP-ID APP INSTALLED-FILES INSTALLED-FILES-SERVER" >&2
  exit 2
fi
meson=$1 build=$2 source=$3 prefix=$4 app_id=$5 app=$6 expected_all=$7 expected_server=$8

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The expected list for this app id (io.github.natter.Natter, or .Devel)
expected () {
  sed -e '/^[[:space:]]*$/d' -e '/^#/d' -e "s/io\.github\.natter\.Natter/$app_id/g" "$1" | LC_ALL=C sort
}

# What `meson install --destdir DESTDIR` put there, relative to the prefix;
# anything outside the prefix keeps its absolute path, so it shows up as a
# difference.
installed () {
  local destdir=$1
  (cd "$destdir" && find . \( -type f -o -type l \) -print) |
    sed -e 's|^\.||' -e "s|^${prefix%/}/||" |
    grep -v '^share/locale/' |
    LC_ALL=C sort || true
}

compare () {
  local what=$1 list=$2 destdir=$3
  if ! diff -u --label "expected ($list)" --label "installed ($what)" \
       <(expected "$list") <(installed "$destdir"); then
    echo "FAIL: $what installs other files than $list lists" >&2
    return 1
  fi
  echo "ok: $what installs exactly the files in $(basename "$list")"
}

no_desktop_app () {
  local what=$1 destdir=$2 found
  found=$(installed "$destdir" | grep -E '^(bin/natter$|share/(applications|dbus-1|glib-2\.0|icons|metainfo)/)' || true)
  if [ -n "$found" ]; then
    echo "FAIL: $what installs parts of the desktop app:" >&2
    echo "$found" >&2
    return 1
  fi
  echo "ok: $what installs nothing of the desktop app"
}

status=0

echo "# meson install -C $build"
"$meson" install -C "$build" --destdir "$scratch/main" --no-rebuild --quiet
if [ "$app" = true ]; then
  compare "the build in $build" "$expected_all" "$scratch/main" || status=1
else
  compare "the server-only build in $build" "$expected_server" "$scratch/main" || status=1
  no_desktop_app "the server-only build in $build" "$scratch/main" || status=1
  # that build is already the server-only configuration
  exit $status
fi

echo "# meson setup -Dapp=false"
if ! "$meson" setup --prefix="$prefix" -Dapp=false -Dtests=false \
     "$scratch/server-build" "$source" >"$scratch/setup.log" 2>&1; then
  cat "$scratch/setup.log" >&2
  echo "FAIL: a server-only build does not configure" >&2
  exit 1
fi
if ! "$meson" compile -C "$scratch/server-build" >"$scratch/compile.log" 2>&1; then
  cat "$scratch/compile.log" >&2
  echo "FAIL: a server-only build does not compile" >&2
  exit 1
fi
"$meson" install -C "$scratch/server-build" --destdir "$scratch/server" --no-rebuild --quiet
compare "a server-only build" "$expected_server" "$scratch/server" || status=1
no_desktop_app "a server-only build" "$scratch/server" || status=1
exit $status
