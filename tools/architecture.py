"""The picture of docs/architecture.md, drawn from the code: odr's packages and who imports whom.

    python tools/architecture.py dot    # print the graph (docs/architecture.dot is this output)
    python tools/architecture.py svg    # write docs/architecture.dot and docs/architecture.svg (make architecture)

Each box is a top-level package or module of ``odr``, placed in its layer (the contract in
pyproject.toml); an arrow means "imports". Delivery modules (views, api, pages, cli of each domain)
are drawn as their own box, "delivery", on top, as the contract treats them.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
DELIVERY = {"views", "api", "pages", "cli"}
# The court's offline verifier imports nothing from odr; drawn apart so its users do not seem to import export.
STANDALONE = "odr.export.verifier"


def layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    contract = next(c for c in config if c["type"] == "layers")
    return [
        [name.strip().removeprefix("odr.") for name in line.replace(":", "|").split("|")] for line in contract["layers"]
    ]


def box(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) == 1:
        return None  # the application factory: composes everything
    if len(parts) > 2 and parts[2] in DELIVERY:
        return "delivery"
    if module == STANDALONE:
        return "verifier"
    return parts[1]


def dot() -> str:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("odr")
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = box(module), box(imported)
            if a and b and a != b and a != "delivery" and b != "delivery":
                edges.add((a, b))
    out = [
        "digraph odr {",
        '  rankdir=TB; node [shape=box, fontname="Helvetica"];',
        '  delivery [label="delivery: views, api, pages, cli of every domain", style=dashed];',
        '  verifier [label="export.verifier (standalone, for courts)", style=dashed];',
    ]
    for rank, names in enumerate(layers()):
        quoted = "; ".join(f'"{name}"' for name in names)
        out.append(f"  {{ rank=same; {quoted}; }}  // layer {rank}")
    out += [f'  "{a}" -> "{b}";' for a, b in sorted(edges)]
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    text = dot()
    if argv[1:] == ["dot"]:
        sys.stdout.write(text)
        return 0
    (ROOT / "docs" / "architecture.dot").write_text(text)
    svg = subprocess.run(["dot", "-Tsvg"], input=text.encode(), capture_output=True, check=True).stdout
    (ROOT / "docs" / "architecture.svg").write_bytes(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
