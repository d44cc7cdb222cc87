"""`odr rules validate | show | graph`: what mediators, operators and docs read about procedures."""

import shutil

import pytest
import yaml


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["rules", *args])


def test_validate_checks_every_procedure_and_jurisdiction(app):
    result = invoke(app, "validate")
    assert result.exit_code == 0, result.output
    for code in ("cn-ecl", "us-dmca", "us-marketplace", "eu-dsa", "jp-plla", "gb-ecr", "generic-odr"):
        assert f"{code}.yaml: {code}" in result.output
    assert "jurisdiction US: procedures us-dmca, us-marketplace" in result.output


def test_validate_fails_on_an_uncited_rule_and_on_an_unknown_procedure(app, tmp_path):
    from pathlib import Path

    rules, places = tmp_path / "rules", tmp_path / "jurisdictions"
    rules.mkdir(), places.mkdir()
    source = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((source / "rules" / "generic-odr.yaml").read_text("utf-8"))
    del raw["timers"][0]["citation"]
    (rules / "generic-odr.yaml").write_text(yaml.safe_dump(raw), "utf-8")
    (places / "JP.yaml").write_text((source / "jurisdictions" / "JP.yaml").read_text("utf-8"), "utf-8")
    app.config["ODR"].update(RULES_DIR=str(rules), JURISDICTIONS_DIR=str(places))
    result = invoke(app, "validate")
    assert result.exit_code == 1
    assert "timer 'response_period' has no citation" in result.output
    assert "jurisdiction JP: names unknown procedure(s) jp-plla" in result.output


def test_show_lists_each_rule_with_its_citation_dates_and_confidence(app):
    result = invoke(app, "show", "jp-plla")
    assert result.exit_code == 0, result.output
    assert "response_period: in awaiting_response, 7 calendar_days -> facilitated_settlement" in result.output
    assert "(in force … to 2025-03-31)" in result.output and "(in force 2025-04-01 to …)" in result.output
    assert "[unverified:" in result.output
    unknown = invoke(app, "show", "xx-nothing")
    assert unknown.exit_code != 0 and "no version of procedure xx-nothing" in unknown.output


def test_graph_in_dot_names_states_transitions_and_timers(app):
    result = invoke(app, "graph", "us-dmca", "--format", "dot")
    assert result.exit_code == 0
    assert result.output.startswith('digraph "us-dmca"')
    assert '"counter_notice_received" -> "negotiation"' in result.output and "10-14 business days" in result.output


def test_graph_in_svg_needs_graphviz_and_says_so(app, monkeypatch):
    if shutil.which("dot"):
        result = invoke(app, "graph", "cn-ecl", "--format", "svg")
        assert result.exit_code == 0 and "<svg" in result.output
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = invoke(app, "graph", "cn-ecl", "--format", "svg")
    assert result.exit_code == 1 and "apt-get install graphviz" in result.output


@pytest.mark.parametrize("code", ["cn-ecl", "eu-dsa"])
def test_every_timer_and_transition_carries_citation_and_uncertainty_note(app, code):
    from odr.procedure.describe import citations
    from odr.procedure.services import procedures

    with app.app_context():
        procedure = next(p for (c, _), p in procedures().procedures.items() if c == code)
        for citation in citations(procedure):
            assert citation.instrument and citation.article
            assert citation.confidence == "verified" or citation.note


def _rules_copy(app, tmp_path, edit):
    """A rules folder with generic-odr.yaml edited by ``edit``, and the real jurisdictions."""
    from pathlib import Path

    rules = tmp_path / "rules"
    rules.mkdir()
    source = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((source / "rules" / "generic-odr.yaml").read_text("utf-8"))
    edit(raw)
    (rules / "generic-odr.yaml").write_text(yaml.safe_dump(raw), "utf-8")
    app.config["ODR"].update(RULES_DIR=str(rules))


def test_validate_prints_how_many_citations_are_at_each_level_of_confidence(app):
    result = invoke(app, "validate")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "citations by confidence:" in x)
    counts = {level: int(n) for n, level in (part.split() for part in line.split(": ", 1)[1].split(", "))}
    assert set(counts) == {"verified", "secondary", "unverified"} and all(n > 0 for n in counts.values())


def test_a_citation_without_an_explicit_confidence_is_refused(app, tmp_path):
    # Before issue 12 a missing confidence counted as "verified".
    _rules_copy(app, tmp_path, lambda raw: raw["timers"][0]["citation"].pop("confidence"))
    result = invoke(app, "validate")
    assert result.exit_code == 1
    assert "timer 'response_period': the citation has no confidence" in result.output


def test_a_verified_citation_must_link_the_primary_text(app, tmp_path):
    def aggregator(raw):
        raw["timers"][0]["citation"] = {
            "instrument": "17 U.S.C. §512",
            "article": "(g)(2)(C)",
            "link": "https://www.law.cornell.edu/uscode/text/17/512",
            "confidence": "verified",
        }

    _rules_copy(app, tmp_path, aggregator)
    result = invoke(app, "validate")
    assert result.exit_code == 1
    assert "a verified citation links the primary text" in result.output


def test_the_platform_rules_cited_exist_in_the_published_document(app):
    """Every "ODR Platform Rules" citation names a rule (and its anchor) of docs/platform-rules.md."""
    import re
    from pathlib import Path

    from odr.procedure.describe import citations, jurisdiction_citations
    from odr.procedure.jurisdictions import all_jurisdictions
    from odr.procedure.services import procedures

    document = (Path(__file__).resolve().parents[2] / "docs" / "platform-rules.md").read_text("utf-8")
    headings = dict(re.findall(r"^## Rule (\d+): (.+)$", document, re.M))
    with app.app_context():
        cited = [c for p in procedures().procedures.values() for c in citations(p)]
        cited += [c for j in all_jurisdictions().values() for c in jurisdiction_citations(j)]
    own = [c for c in cited if c.instrument.startswith("ODR Platform Rules")]
    assert own
    for citation in own:
        number = re.match(r"Rule (\d+):", citation.article).group(1)
        assert number in headings, citation
        anchor = "rule-" + number + "-" + re.sub(r"[^a-z0-9 -]", "", headings[number].lower()).replace(" ", "-")
        assert citation.link == f"docs/platform-rules.md#{anchor}", citation
        assert citation.confidence == "verified"
