"""Set zh-Hans translations and clear fuzzy marks after `make messages`.

Usage: python scripts/po_set.py FILE.tsv   (lines: msgid<TAB>zh-Hans text; msgid as written in the code)
       python scripts/po_set.py --list      (print the msgids of untranslated or fuzzy zh-Hans entries)
Entries in the en catalogue are left empty (gettext falls back to the msgid) and lose their fuzzy mark.
Only single-line msgids without plural forms are handled; edit other entries by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "clientvault" / "locale"
ENTRY = re.compile(r'((?:#.*\n)*)(msgctxt ".*"\n)?msgid "(.*)"\n((?:".*"\n)*)msgstr "(.*)"\n((?:".*"\n)*)')


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _rewrite(path: Path, wanted: dict[str, str] | None) -> list[str]:
    text = path.read_text(encoding="utf-8")
    untranslated: list[str] = []

    def fix(m: re.Match[str]) -> str:
        comments, ctxt, msgid, more_id, msgstr, more_str = m.groups()
        if more_id:  # multi-line msgid: leave alone, but report if untranslated
            if (not msgstr and not more_str) or "fuzzy" in comments:
                untranslated.append(msgid + more_id)
            return m.group(0)
        lines = [ln for ln in comments.splitlines() if not ln.startswith("#|")]
        lines = [ln.replace(", fuzzy", "") if ln.startswith("#,") else ln for ln in lines]
        lines = [ln for ln in lines if ln.strip() not in ("#,", "#")]
        fuzzy = "fuzzy" in comments
        if wanted is not None and msgid in wanted and not ctxt:  # a msgctxt entry is set by hand
            msgstr, more_str, fuzzy = _escape(wanted[msgid]), "", False
        elif wanted is None and fuzzy:  # the en catalogue: empty falls back to the msgid
            msgstr, more_str, fuzzy = "", "", False
        if wanted is not None and msgid and ((not msgstr and not more_str) or fuzzy):
            untranslated.append(msgid)
            return m.group(0)
        head = "".join(ln + "\n" for ln in lines)
        return f'{head}{ctxt or ""}msgid "{msgid}"\nmsgstr "{msgstr}"\n{more_str}'

    path.write_text(ENTRY.sub(fix, text), encoding="utf-8")
    return untranslated


def main(argv: list[str]) -> int:
    wanted: dict[str, str] = {}
    if argv and argv[0] != "--list":
        for line in Path(argv[0]).read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                k, v = line.split("\t", 1)
                wanted[k] = v
    left = _rewrite(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po", wanted)
    _rewrite(LOCALE / "en" / "LC_MESSAGES" / "django.po", None)
    for msgid in left:
        print(msgid)
    return 1 if left and argv and argv[0] == "--list" else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
