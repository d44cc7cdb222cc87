"""Write docs/platform-rules.md, the published English text of the newest version, from docs/platform-rules/.

    python tools/platform_rules.py md        # rewrite the document
    python tools/platform_rules.py check     # exit 1 if the document is not what the data say

The application shows the same data at /platform-rules in each UI language (odr/platform_rules).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odr.platform_rules.services import load, load_versions, merge  # noqa: E402

FOLDER = ROOT / "docs" / "platform-rules"
DOCUMENT = ROOT / "docs" / "platform-rules.md"
WIDTH = 105


def _wrap(text: str) -> str:
    return "\n\n".join(
        textwrap.fill(" ".join(p.split()), WIDTH, break_on_hyphens=False) for p in text.split("\n\n") if p.strip()
    )


def document() -> str:
    data = load(str(FOLDER), "en")
    versions = load_versions(str(FOLDER))
    newest = versions[-1]
    parts = [
        f"# {data['title']}",
        _wrap(f"Version {newest.version}, in force from {newest.effective_from.isoformat()}. {data['preamble']}"),
    ]
    for rule in merge(data["rules"], newest):
        parts += [f"## Rule {rule.number}: {rule.title}", _wrap(rule.text)]
    rows = ["| Version | In force from | Changes |", "|---------|---------------|---------|"]
    rows += [f"| {v.version} | {v.effective_from.isoformat()} | {data['changes'][v.version]} |" for v in versions]
    parts += ["## Versions", "\n".join(rows)]
    header = (
        "<!-- Written by tools/platform_rules.py from docs/platform-rules/en.yaml: edit the data, not this file. -->"
    )
    return header + "\n" + "\n\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "md":
        DOCUMENT.write_text(document(), encoding="utf-8")
        return 0
    if command == "check":
        if DOCUMENT.read_text(encoding="utf-8") != document():
            print("docs/platform-rules.md differs from its data: run `python tools/platform_rules.py md`")
            return 1
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
