#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the app icons.

    test-icons.py SCALABLE-ICON SYMBOLIC-ICON

The full-colour icon is a 128x128 SVG; the symbolic one is a 16x16 SVG
drawn only with fills in #2e3436 (GTK recolours those), without strokes,
images, text or scripts.
"""

import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message)
    if not condition:
        failures.append(message)


def load(path):
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as error:
        check(False, f"{path} is well-formed XML ({error})")
        return None


def size(root):
    return root.get("width"), root.get("height"), root.get("viewBox")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    scalable, symbolic = argv[1:]

    root = load(scalable)
    if root is not None:
        check(root.tag == SVG + "svg", f"{scalable} is an SVG")
        check(size(root) == ("128", "128", "0 0 128 128"),
              f"{scalable} is 128x128 (found {size(root)})")
        check(not any(True for _ in root.iter(SVG + "image")), f"{scalable} embeds no bitmaps")

    root = load(symbolic)
    if root is not None:
        check(root.tag == SVG + "svg", f"{symbolic} is an SVG")
        check(size(root) == ("16", "16", "0 0 16 16"),
              f"{symbolic} is 16x16 (found {size(root)})")
        bad = sorted({el.tag.replace(SVG, "") for el in root.iter()
                      if el.tag.replace(SVG, "") in ("image", "text", "script", "use",
                                                     "linearGradient", "radialGradient")})
        check(not bad, f"{symbolic} has only plain shapes (found {', '.join(bad) or 'none else'})")
        colours = set()
        strokes = []
        for el in root.iter():
            style = el.get("style", "")
            for key, value in [("fill", el.get("fill")), ("stroke", el.get("stroke"))] + \
                    re.findall(r"(fill|stroke)\s*:\s*([^;]+)", style):
                if value is None:
                    continue
                value = value.strip().lower()
                if key == "stroke" and value != "none":
                    strokes.append(value)
                if key == "fill" and value != "none":
                    colours.add(value)
        check(not strokes, f"{symbolic} uses fills, not strokes")
        check(colours <= {"#2e3436"}, f"{symbolic} is drawn in #2e3436 (found {sorted(colours)})")

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
