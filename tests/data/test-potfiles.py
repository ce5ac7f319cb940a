#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks po/POTFILES.in against the sources.

    test-potfiles.py SRCDIR

Fails, naming the files, when a file with translatable strings is missing
from po/POTFILES.in, when POTFILES.in lists a file that does not exist, or
when it lists a file twice. A file has translatable strings when it is

  - C under src/ calling _(), N_(), C_(), NC_(), Q_(), gettext() or one of
    its variants (g_dgettext(), ngettext(), ...) on a string literal,
  - a GtkBuilder file under src/ with a translatable="yes" property,
  - a desktop entry, AppStream metadata or GSettings schema template
    (data/*.desktop.in, *.metainfo.xml.in, *.gschema.xml.in) with
    translatable keys or elements.

Listed files without translatable strings are allowed (every .ui file is
listed, so that a new string in it is picked up) and only reported.
"""

import os
import re
import sys

# A gettext call on a string literal; the lookbehind keeps out names that
# merely end in one of these (G_GNUC_PRINTF (, bindtextdomain (, ...).
C_CALL = re.compile(
    r'(?<![A-Za-z0-9_])'
    r'(?:_|N_|C_|NC_|Q_|'
    r'(?:g_)?d?c?n?p?gettext2?)'
    r'\s*\(\s*(?:[A-Z_][A-Z0-9_]*\s*,\s*)?"')
UI_TRANSLATABLE = re.compile(r'\btranslatable\s*=\s*["\'](?:yes|true|1)["\']', re.I)
# xgettext's default keywords for desktop entries (and intltool's _Key=)
DESKTOP_KEY = re.compile(r'^_?(?:Name|GenericName|Comment|Keywords)\s*=', re.M)
METAINFO_ELEMENT = re.compile(
    r'<(?:name|summary|p|li|developer_name|caption|keyword)\b(?![^>]*translate\s*=\s*"no")[^>]*>')
GSCHEMA_ELEMENT = re.compile(r'<(?:summary|description)\b[^>]*>|\bl10n\s*=')


def strip_c_comments(text):
    """The C text without comments; string and character literals stay."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and text.startswith('/*', i):
            end = text.find('*/', i + 2)
            i = n if end < 0 else end + 2
            out.append(' ')
        elif c == '/' and text.startswith('//', i):
            end = text.find('\n', i)
            i = n if end < 0 else end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def has_strings(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    name = os.path.basename(path)
    if name.endswith(('.c', '.h')):
        return C_CALL.search(strip_c_comments(text)) is not None
    if name.endswith('.ui'):
        return UI_TRANSLATABLE.search(text) is not None
    if name.endswith('.desktop.in'):
        return DESKTOP_KEY.search(text) is not None
    if name.endswith(('.metainfo.xml.in', '.appdata.xml.in')):
        return METAINFO_ELEMENT.search(re.sub(r'<!--.*?-->', '', text, flags=re.S)) is not None
    if name.endswith('.gschema.xml.in'):
        return GSCHEMA_ELEMENT.search(re.sub(r'<!--.*?-->', '', text, flags=re.S)) is not None
    return False


def candidates(srcdir):
    """Every file of a kind that can hold translatable strings, relative to srcdir."""
    found = []
    for top in ('src',):
        for root, dirs, files in os.walk(os.path.join(srcdir, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(('.c', '.h', '.ui')):
                    found.append(os.path.relpath(os.path.join(root, name), srcdir))
    data = os.path.join(srcdir, 'data')
    if os.path.isdir(data):
        for name in sorted(os.listdir(data)):
            if name.endswith(('.desktop.in', '.metainfo.xml.in', '.appdata.xml.in',
                              '.gschema.xml.in')):
                found.append(os.path.join('data', name))
    return [p.replace(os.sep, '/') for p in found]


def read_potfiles(path):
    entries = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            # comments, blank lines and xgettext's [encoding: ...] lines
            if not line or line.startswith(('#', '[')):
                continue
            entries.append((number, line))
    return entries


def main(argv):
    if len(argv) != 2:
        print(f'usage: {argv[0]} SRCDIR', file=sys.stderr)
        return 2
    srcdir = argv[1]
    potfiles_in = os.path.join(srcdir, 'po', 'POTFILES.in')
    if not os.path.isfile(potfiles_in):
        print(f'FAIL: {potfiles_in} does not exist')
        return 1

    listed = read_potfiles(potfiles_in)
    listed_set = {entry for _, entry in listed}
    failed = False

    seen = {}
    for number, entry in listed:
        if entry in seen:
            print(f'FAIL: po/POTFILES.in:{number}: {entry} is listed twice '
                  f'(first on line {seen[entry]})')
            failed = True
        seen.setdefault(entry, number)

    for number, entry in listed:
        if not os.path.isfile(os.path.join(srcdir, entry)):
            print(f'FAIL: po/POTFILES.in:{number}: {entry} does not exist')
            failed = True

    missing = [p for p in candidates(srcdir)
               if p not in listed_set and has_strings(os.path.join(srcdir, p))]
    for path in missing:
        print(f'FAIL: {path} has translatable strings but is not in po/POTFILES.in')
        failed = True

    for number, entry in listed:
        full = os.path.join(srcdir, entry)
        if os.path.isfile(full) and not has_strings(full):
            print(f'note: po/POTFILES.in:{number}: {entry} has no translatable strings')

    if failed:
        return 1
    print(f'ok: po/POTFILES.in lists every file with translatable strings ({len(listed_set)} entries)')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
