"""A procedure file is refused, with a message naming the problem, unless its graph is sound."""

import copy
from pathlib import Path

import pytest
import yaml

from odr.procedure.engine import ProcedureError, Registry, load_file, parse

RULES = Path(__file__).resolve().parents[2] / "rules"
CITE = {"instrument": "Test Rules", "article": "1", "confidence": "secondary", "note": "A test rule."}


def minimal() -> dict:
    return {
        "code": "test",
        "version": "1",
        "initial": "open",
        "citation": CITE,
        "serve": {"notice": ["respondent"], "state_changed": ["claimant", "respondent"]},
        "states": {"open": {}, "talking": {}, "closed": {"final": True}},
        "transitions": [
            {"name": "answer", "from": "open", "to": "talking", "roles": ["respondent"], "citation": CITE},
            {"name": "close", "from": "talking", "to": "closed", "roles": ["claimant"], "citation": CITE},
        ],
        "timers": [
            {
                "name": "silence",
                "state": "open",
                "period": {"count": 7, "unit": "calendar_days"},
                "to": "talking",
                "citation": CITE,
            }
        ],
    }


def test_every_shipped_procedure_loads():
    registry = Registry(RULES)
    assert ("generic-odr", "2026.1") in registry.procedures


def test_generic_procedure_gives_the_seller_seven_days_then_facilitation():
    procedure = load_file(RULES / "generic-odr.yaml")
    (timer,) = [t for t in procedure.timers if t.state == "awaiting_response"]
    assert (timer.period.count, timer.period.unit, timer.target) == (7, "calendar_days", "facilitated_settlement")
    assert timer.citation.instrument and timer.citation.article


def test_a_sound_procedure_loads():
    procedure = parse(minimal())
    assert procedure.initial == "open"
    assert set(procedure.graph.nodes) == {"open", "talking", "closed"}


def test_unreachable_state_is_named():
    raw = minimal()
    raw["states"]["limbo"] = {}
    raw["transitions"].append({"name": "out", "from": "limbo", "to": "closed", "roles": ["admin"], "citation": CITE})
    with pytest.raises(ProcedureError, match="unreachable.*limbo"):
        parse(raw)


def test_dead_end_state_is_named():
    raw = minimal()
    raw["states"]["stuck"] = {}
    raw["transitions"].append({"name": "jam", "from": "open", "to": "stuck", "roles": ["admin"], "citation": CITE})
    with pytest.raises(ProcedureError, match="state 'stuck' is a dead end"):
        parse(raw)


def test_timer_to_nowhere_is_named():
    raw = minimal()
    del raw["timers"][0]["to"]
    with pytest.raises(ProcedureError, match="timer 'silence' in state 'open' leads nowhere"):
        parse(raw)


def test_timer_to_an_undefined_state_is_named():
    raw = minimal()
    raw["timers"][0]["to"] = "heaven"
    with pytest.raises(ProcedureError, match="timer 'silence' in state 'open' leads to undefined state 'heaven'"):
        parse(raw)


def test_transition_to_an_undefined_state_is_named():
    raw = minimal()
    raw["transitions"][0]["to"] = "nowhere"
    with pytest.raises(ProcedureError, match="transition 'answer' leads to undefined state 'nowhere'"):
        parse(raw)


def test_every_rule_must_be_cited():
    raw = minimal()
    del raw["transitions"][1]["citation"]
    with pytest.raises(ProcedureError, match="transition 'close' has no citation"):
        parse(raw)


def test_every_citation_states_its_confidence_and_a_verified_one_links_the_primary_text():
    raw = minimal()
    raw["transitions"][1]["citation"] = {"instrument": "Test Rules", "article": "2"}
    with pytest.raises(ProcedureError, match="transition 'close': the citation has no confidence"):
        parse(raw)
    raw["transitions"][1]["citation"] = {
        "instrument": "E-Commerce Law",
        "article": "Art. 43",
        "link": "https://chinesetortlaw.com/t_List.asp?Id=35",
        "confidence": "verified",
    }
    with pytest.raises(ProcedureError, match="a verified citation links the primary text"):
        parse(raw)
    raw["transitions"][1]["citation"]["link"] = (
        "https://flk.npc.gov.cn/detail2.html?ZmY4MDgxODE2ZjEzNWY0NjAxNmYyMTFiMjI2NDBjNmY"
    )
    assert parse(raw).transition("close").citation.confidence == "verified"


def test_unknown_roles_and_units_are_refused():
    raw = minimal()
    raw["transitions"][0]["roles"] = ["judge_dredd"]
    with pytest.raises(ProcedureError, match="unknown role"):
        parse(raw)
    raw = minimal()
    raw["timers"][0]["period"]["unit"] = "fortnights"
    with pytest.raises(ProcedureError, match="timer 'silence' needs a period"):
        parse(raw)


def test_leaving_a_final_state_is_refused():
    raw = minimal()
    raw["transitions"].append({"name": "reopen", "from": "closed", "to": "open", "roles": ["admin"], "citation": CITE})
    with pytest.raises(ProcedureError, match="leaves final state 'closed'"):
        parse(raw)


def test_rules_in_force_by_date():
    raw = minimal()
    old, new = copy.deepcopy(raw["timers"][0]), copy.deepcopy(raw["timers"][0])
    old.update(name="silence_old", effective_to="2025-12-31")
    new.update(name="silence_new", effective_from="2026-01-01", period={"count": 10, "unit": "calendar_days"})
    raw["timers"] = [old, new]
    procedure = parse(raw)
    from datetime import date

    assert [t.name for t in procedure.timers_for("open", date(2025, 12, 31))] == ["silence_old"]
    assert [t.name for t in procedure.timers_for("open", date(2026, 1, 1))] == ["silence_new"]


def test_a_broken_file_is_refused_by_name(tmp_path):
    raw = minimal()
    raw["timers"][0]["to"] = ""
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ProcedureError, match="leads nowhere"):
        Registry(tmp_path)
    (tmp_path / "broken.yaml").write_text("code: [unclosed")
    with pytest.raises(ProcedureError, match="broken.yaml: not valid YAML"):
        Registry(tmp_path)


def test_an_act_without_declared_addressees_is_refused():
    raw = minimal()
    raw["states"]["talking"]["filings"] = ["offer"]
    with pytest.raises(ProcedureError, match="act.*without declared addressees.*offer"):
        parse(raw)


def test_addressees_name_known_acts_and_roles():
    raw = minimal()
    raw["serve"]["notice"] = ["landlord"]
    with pytest.raises(ProcedureError, match="unknown role.*landlord"):
        parse(raw)
    raw = minimal()
    raw["serve"]["telegram"] = ["claimant"]
    with pytest.raises(ProcedureError, match="unknown act 'telegram'"):
        parse(raw)


def test_a_period_from_receipt_needs_an_act_served_on_that_role():
    raw = minimal()
    raw["timers"][0]["starts_at_receipt"] = {"of": "notice", "by": "claimant"}
    with pytest.raises(ProcedureError, match="receipt of 'notice' by 'claimant'"):
        parse(raw)
    raw["timers"][0]["starts_at_receipt"] = {"of": "notice", "by": "respondent"}
    (timer,) = parse(raw).timers
    assert (timer.receipt.act, timer.receipt.role) == ("notice", "respondent")


def test_cn_and_jp_count_from_receipt():
    cn = load_file(RULES / "cn-ecl.yaml")
    assert cn.timer("restore_period").receipt.act == "counter_notice"
    assert cn.timer("restore_period").receipt.role == "claimant"
    jp = load_file(RULES / "jp-plla.yaml")
    assert {(t.receipt.act, t.receipt.role) for t in jp.timers if t.state == "awaiting_response"} == {
        ("notice", "respondent")
    }
