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
