"""Procedures for people: a checked summary (``odr rules validate``), a text description
(``odr rules show``) and a Graphviz picture (``odr rules graph``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from odr.procedure.engine import CONFIDENCE, Citation, Procedure, ProcedureError, load_file
from odr.procedure.jurisdictions import load as load_jurisdictions


def validate(rules_dir: str, jurisdictions_dir: str) -> list[tuple[bool, str]]:
    """Every procedure file loads and its graph is sound (which includes: every state, transition,
    timer and extension is cited, uncertain citations carry a note); every jurisdiction file loads
    and names procedures that exist. One (ok, line) per file or problem."""
    lines: list[tuple[bool, str]] = []
    codes: set[str] = set()
    counts = {level: 0 for level in sorted(CONFIDENCE)}
    for path in sorted(Path(rules_dir).glob("*.yaml")):
        try:
            procedure = load_file(path)
        except ProcedureError as exc:
            lines.append((False, f"{path.name}: {exc}"))
            continue
        codes.add(procedure.code)
        for citation in citations(procedure):
            counts[citation.confidence] += 1
        uncertain = [c for c in citations(procedure) if c.confidence != "verified"]
        lines.append(
            (
                True,
                f"{path.name}: {procedure.code} {procedure.version}, {len(procedure.states)} states, "
                f"{len(procedure.transitions)} transitions, {len(procedure.timers)} timers, "
                f"all cited; {len(uncertain)} citation(s) marked uncertain",
            )
        )
    try:
        found = load_jurisdictions.__wrapped__(jurisdictions_dir)
    except (ProcedureError, KeyError, TypeError, ValueError) as exc:
        return lines + [(False, f"jurisdictions: {exc}")]
    for code, jurisdiction in found.items():
        named = {jurisdiction.default_procedure, *jurisdiction.procedures_by_right_type.values()}
        missing = sorted(named - codes)
        if missing:
            lines.append((False, f"jurisdiction {code}: names unknown procedure(s) {', '.join(missing)}"))
        else:
            lines.append((True, f"jurisdiction {code}: procedures {', '.join(sorted(named))}"))
        for citation in jurisdiction_citations(jurisdiction):
            counts[citation.confidence] += 1
    # Every citation states its confidence (a missing one is refused above): how many at each level.
    lines.append((True, "citations by confidence: " + ", ".join(f"{counts[level]} {level}" for level in counts)))
    return lines


def jurisdiction_citations(jurisdiction) -> list[Citation]:
    found = [c for c in (jurisdiction.periods_citation, jurisdiction.receipt and jurisdiction.receipt.citation) if c]
    for rules in [*jurisdiction.notice.values(), *jurisdiction.counter_notice.values()]:
        found.append(rules.citation)
        found += [e.citation for e in rules.elements] + [w.citation for w in rules.warnings]
    found += [r.citation for r in jurisdiction.escalation_routes if r.citation]
    return found


def citations(procedure: Procedure) -> list[Citation]:
    found = [procedure.citation] + [s.citation for s in procedure.states.values()]
    found += [t.citation for t in procedure.transitions]
    for timer in procedure.timers:
        found.append(timer.citation)
        if timer.extension:
            found.append(timer.extension.citation)
    found += [statement.citation for statement in procedure.statements.values()]
    found += [measure.citation for measure in procedure.notice_measures.values()]
    return found


def _cite(citation: Citation) -> str:
    text = f"{citation.instrument}, {citation.article}"
    if citation.confidence != "verified":
        text += f" [{citation.confidence}: {citation.note}]"
    return text


def _dates(rule) -> str:
    if rule.effective_from is None and rule.effective_to is None:
        return ""
    return f" (in force {rule.effective_from or '…'} to {rule.effective_to or '…'})"


def show(procedure: Procedure) -> str:
    out = [
        f"{procedure.code} {procedure.version}: {procedure.title}",
        f"  time zone {procedure.time_zone}; in force {procedure.effective_from or '…'} to "
        f"{procedure.effective_to or '…'}; source {procedure.source}",
        f"  {_cite(procedure.citation)}",
        "",
        "States:",
    ]
    for state in procedure.states.values():
        marks = (" [start]" if state.name == procedure.initial else "") + (" [final]" if state.final else "")
        out.append(f"  {state.name}{marks}: {state.title}")
        if state.on_enter:
            out.append(f"    on entry: {', '.join(state.on_enter)}")
        out.append(f"    {_cite(state.citation)}")
    out += ["", "Transitions:"]
    for t in procedure.transitions:
        trigger = f"filing {t.filing}" if t.filing else (f"when {t.when}" if t.when else "on request")
        out.append(
            f"  {t.name}: {', '.join(t.sources)} -> {t.target} by {', '.join(sorted(t.roles))}, {trigger}{_dates(t)}"
        )
        out.append(f"    {_cite(t.citation)}")
    out += ["", "Timers:"]
    for t in procedure.timers:
        window = f" to {t.period.latest}" if t.period.latest else ""
        out.append(
            f"  {t.name}: in {t.state}, {t.period.count}{window} {t.period.unit} -> {t.target}"
            f"{' (holiday rule applies)' if t.roll_forward else ''}{_dates(t)}"
        )
        out.append(f"    {_cite(t.citation)}")
        if t.extension:
            out.append(
                f"    extension up to {t.extension.max_count} {t.extension.unit} by "
                f"{', '.join(sorted(t.extension.roles))}: {_cite(t.extension.citation)}"
            )
    return "\n".join(out) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(procedure: Procedure) -> str:
    """The state graph in Graphviz DOT: states as boxes (finals doubled), transitions solid with
    their roles, timers dashed with their period."""
    out = [
        f"digraph {_quote(procedure.code)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        f"  label={_quote(f'{procedure.title} ({procedure.version})')}; labelloc=t;",
    ]
    for state in procedure.states.values():
        shape = ", peripheries=2" if state.final else ""
        bold = ", penwidth=2" if state.name == procedure.initial else ""
        out.append(f"  {_quote(state.name)} [label={_quote(state.title)}{shape}{bold}];")
    for t in procedure.transitions:
        label = f"{t.name}\n{'/'.join(sorted(t.roles))}" + (f"\n[{t.filing}]" if t.filing else "")
        for source in t.sources:
            out.append(f"  {_quote(source)} -> {_quote(t.target)} [label={_quote(label)}];")
    for t in procedure.timers:
        window = f"-{t.period.latest}" if t.period.latest else ""
        label = f"{t.name}\n{t.period.count}{window} {t.period.unit.replace('_', ' ')}"
        out.append(f"  {_quote(t.state)} -> {_quote(t.target)} [label={_quote(label)}, style=dashed];")
    out.append("}")
    return "\n".join(out) + "\n"


class GraphvizMissing(RuntimeError):
    """SVG needs Graphviz's ``dot`` program."""


def to_svg(procedure: Procedure) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(
            "SVG needs Graphviz's 'dot' program, which is not installed "
            "(Debian: apt-get install graphviz). Use --format dot meanwhile."
        )
    result = subprocess.run(
        [dot, "-Tsvg"], input=to_dot(procedure), capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise GraphvizMissing(f"dot failed: {result.stderr.strip()}")
    return result.stdout
