"""The data behind issue 12 items 3-5 says what it rests on: how a pause combines with the period carries its
reading and confidence, a report step names its forum and document, a minimum of characters gives its reason."""

from pathlib import Path

import pytest
import yaml

from odr.procedure import jurisdictions
from odr.procedure.engine import ProcedureError, load_file, parse
from odr.procedure.engine import _merged as merged

ROOT = Path(__file__).parents[2]


def cn_rules() -> dict:
    return merged(ROOT / "rules" / "cn-ecl.yaml")


def test_the_cn_pause_is_requested_by_the_right_holder_decided_by_the_platform_and_says_how_it_combines():
    extension = load_file(ROOT / "rules" / "cn-ecl.yaml").timer("restore_period").extension
    assert extension.requested_by == {"claimant"} and extension.roles == {"mediator", "admin"}
    assert extension.max_count == 20 and extension.unit == "business_days"
    assert extension.combination["confidence"] == "secondary"
    assert "after the 15th day" in extension.combination["reading"]
    assert extension.effective_from.isoformat() == "2020-09-14"


def test_a_combination_without_its_confidence_is_refused():
    raw = cn_rules()
    timer = next(t for t in raw["timers"] if t["name"] == "restore_period")
    del timer["extension"]["combination"]["confidence"]
    with pytest.raises(ProcedureError, match="combination"):
        parse(raw)


def test_a_report_step_names_its_forum_and_its_document():
    cn = load_file(ROOT / "rules" / "cn-ecl.yaml")
    assert cn.transition("report_complaint").report.forum == "authority"
    assert cn.transition("report_suit").report.forum == "court"
    assert cn.transition("complaint_ended").report.outcomes == ("dismissed", "withdrawn")
    assert "export_to_court" not in cn.state("complaint_reported").on_enter
    assert "export_to_court" in cn.state("escalated").on_enter
    raw = cn_rules()
    step = next(t for t in raw["transitions"] if t["name"] == "report_complaint")
    step["report"] = {"forum": "ministry"}
    with pytest.raises(ProcedureError, match="forum"):
        parse(raw)


def test_a_minimum_length_comes_with_its_reason():
    raw = yaml.safe_load((ROOT / "jurisdictions" / "CN.yaml").read_text("utf-8"))
    identity = next(e for e in raw["notice"]["elements"] if e["name"] == "identity")
    assert identity["min_length"] == 8 and identity["minimum_reason"]
    del identity["minimum_reason"]
    with pytest.raises(ProcedureError, match="minimum_reason"):
        jurisdictions.parse(raw, "CN.yaml")


def test_the_notice_elements_of_each_right_type_follow_the_spc_opinions():
    cn = jurisdictions.parse(yaml.safe_load((ROOT / "jurisdictions" / "CN.yaml").read_text("utf-8")), "CN.yaml")
    rules = cn.notice_rules("trademark")

    def asked(right_type, answers=None):
        return sorted({e.name for e in rules.elements if e.applies_to(right_type, answers or {})})

    common = [
        "identity",
        "listings",
        "prima_facie_evidence",
        "prima_facie_evidence_file",
        "right_certificate",
        "truthfulness_guarantee",
    ]
    assert asked("trademark") == asked("copyright") == common
    assert asked("patent", {"patent_kind": "invention"}) == sorted(common + ["patent_kind"])
    assert asked("patent", {"patent_kind": "utility_model"}) == sorted(
        common + ["patent_evaluation_or_comparison", "patent_kind"]
    )
    assert asked("design") == sorted(common + ["patent_evaluation_or_comparison"])
    opinions = next(e for e in rules.elements if e.name == "right_certificate").citation
    assert "法发〔2020〕32号" in opinions.instrument and opinions.confidence == "secondary"
