#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest against the project.

    test-flatpak-manifest.py MANIFEST APP-ID COMMAND [FLATPAK-BUILDER]

The app id and the command must be the project's, the app must be built by
the last module with meson from this very source tree and its tests run,
the runtime and SDK must be GNOME's, and the sandbox may open exactly the
holes in ALLOWED_FINISH_ARGS. With FLATPAK-BUILDER, flatpak-builder must
also accept the manifest (--show-manifest, which needs no network).
"""

import json
import os
import subprocess
import sys
import tempfile

ALLOWED_FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
}

failures = []


def check(condition, message):
    if condition:
        print(f"ok: {message}")
    else:
        print(f"FAIL: {message}")
        failures.append(message)


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    manifest_path, app_id, command = argv[1:4]
    flatpak_builder = argv[4] if len(argv) == 5 else None

    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)

    # The manifest builds the stable app unless it asks meson for the
    # development variant, whatever this build is.
    modules = manifest.get("modules", [])
    config_opts = modules[-1].get("config-opts", []) if modules and isinstance(modules[-1], dict) else []
    stable_id = app_id[: -len(".Devel")] if app_id.endswith(".Devel") else app_id
    expected_id = stable_id + ".Devel" if "-Ddevelopment=true" in config_opts else stable_id
    manifest_id = manifest.get("app-id", manifest.get("id"))
    check(manifest_id == expected_id, f"app-id is {expected_id} (found {manifest_id})")
    check(manifest.get("command") == command, f"command is {command} (found {manifest.get('command')})")

    runtime, sdk = manifest.get("runtime", ""), manifest.get("sdk", "")
    check(runtime.startswith("org.gnome."), f"runtime is a GNOME one (found {runtime})")
    check(sdk.startswith("org.gnome."), f"sdk is a GNOME one (found {sdk})")
    check(bool(manifest.get("runtime-version")), "runtime-version is set")

    finish_args = manifest.get("finish-args", [])
    check(len(finish_args) == len(set(finish_args)), "finish-args has no duplicates")
    check(set(finish_args) == ALLOWED_FINISH_ARGS,
          "finish-args are exactly " + " ".join(sorted(ALLOWED_FINISH_ARGS))
          + f" (found {' '.join(finish_args)})")

    check(len(modules) > 0, "there is at least one module")
    if modules:
        app = modules[-1]
        check(isinstance(app, dict), "the last module is written inline")
        if isinstance(app, dict):
            check(app.get("buildsystem") == "meson",
                  f"the last module builds with meson (found {app.get('buildsystem')})")
            check(app.get("run-tests") is True, "the last module runs the tests")
            sources = app.get("sources", [])
            check(any(isinstance(s, dict) and s.get("type") == "dir" and s.get("path") == ".."
                      for s in sources),
                  'the last module builds this source tree (a "dir" source at "..")')
            # ".." is relative to the manifest: it must be the project root
            root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(manifest_path)), ".."))
            check(os.path.isfile(os.path.join(root, "meson.build")),
                  f'".." from the manifest is the project root ({root})')

    if flatpak_builder:
        # it keeps a state directory (.flatpak-builder) where it runs
        with tempfile.TemporaryDirectory() as scratch:
            result = subprocess.run([flatpak_builder, "--show-manifest",
                                     os.path.abspath(manifest_path)],
                                    cwd=scratch, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
        check(result.returncode == 0, "flatpak-builder --show-manifest accepts the manifest")
    else:
        print("# flatpak-builder is not installed: not asking it")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
