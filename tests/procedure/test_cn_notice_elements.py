"""Issue 12 item 5: a Chinese notice carries what the SPC Guiding Opinions (Fa Fa [2020] No. 32) point 5 lists, as
elements and files, through the API and the web form alike; placeholders are refused in the filer's language."""

import io
import json

from odr.cases.models import Case, EvidenceFile
from odr.extensions import db
from odr.mediation.models import Measure
from tests.conftest import PDF, notice_data, notice_form_elements

X_PATENT = {"identity": "x", "prima_facie_evidence": "x", "patent_kind": "utility_model"}


def counts():
    return (
        db.session.scalar(db.select(db.func.count()).select_from(Case)),
        db.session.scalar(db.select(db.func.count()).select_from(Measure)),
    )


def test_the_x_patent_notice_without_files_is_refused_through_the_api_in_the_filers_language(world, api):
    holder = api(world.holder)
    refused = holder.post(
        "/cases",
        notice_data(right_type="patent", elements=X_PATENT, listings=["x"]),
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert set(fields) >= {
        "elements.identity",
        "elements.prima_facie_evidence",
        "elements.right_certificate",
        "elements.prima_facie_evidence_file",
        "elements.truthfulness_guarantee",
        "elements.patent_evaluation_or_comparison",
        "listings",
    }
    assert "“x”" in fields["elements.identity"] and "Placeholders" not in fields["elements.identity"]
    assert "法发〔2020〕32号" in fields["elements.right_certificate"]
    assert counts() == (0, 0), "no case opens and nothing is taken down"


def test_a_complete_utility_model_notice_with_its_files_as_multipart_parts_opens_the_case(world, api):
    holder = api(world.holder)
    data = notice_data(right_type="patent")
    data["elements"] = {k: v for k, v in data["elements"].items() if not isinstance(v, dict)} | {
        "patent_kind": "utility_model"
    }
    files = {
        "elements.right_certificate": (io.BytesIO(PDF), "专利证书.pdf"),
        "elements.prima_facie_evidence_file": (io.BytesIO(PDF), "purchase.pdf"),
        "elements.patent_evaluation_or_comparison": (io.BytesIO(PDF), "../evaluation.pdf"),
    }
    filed = holder.client.post(
        "/api/v1/cases?full=1",
        data={"data": json.dumps(data), **files},
        headers=holder.headers,
        content_type="multipart/form-data",
    )
    assert filed.status_code == 201, filed.get_json()
    case = db.session.get(Case, filed.get_json()["id"])
    stored = db.session.scalars(db.select(EvidenceFile).where(EvidenceFile.case_id == case.id)).all()
    assert sorted(f.original_name for f in stored) == ["evaluation.pdf", "purchase.pdf", "专利证书.pdf"]
    assert {f.media_type for f in stored} == {"application/pdf"}
    notice = case.filings[0]
    assert notice.terms["elements"]["patent_evaluation_or_comparison"] == {
        "file": "evaluation.pdf",
        "media_type": "application/pdf",
    }
    assert counts()[1] >= 1, "the measure is taken on a complete notice"


def test_the_web_form_refuses_the_x_design_notice_and_files_the_complete_one(world, browser):
    holder = browser(world.holder)
    form = {
        "jurisdiction": "CN",
        "right_type": "design",
        "title": "Copied lamp design",
        "text": "The listed lamp copies our registered design.",
        "language": "en",
        "listings": "https://shop.example/item/77",
        "respondent_email": world.seller.email,
    }
    x_notice = {
        **form,
        "submission_key": "x-1",
        "elements.identity": "x",
        "elements.prima_facie_evidence": "x",
    }
    page = holder.post("/cases/new", x_notice, form_page="/cases/new", content_type="multipart/form-data")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'type="file"' in html and 'name="elements.right_certificate"' in html
    assert "Placeholders such as “x” are not accepted" in html
    assert "Attach it as a file" in html
    assert counts() == (0, 0)

    complete = holder.post(
        "/cases/new",
        {**form, "submission_key": "x-2", **notice_form_elements()},
        form_page="/cases/new",
        content_type="multipart/form-data",
    )
    assert complete.status_code == 302, complete.get_data(as_text=True)
    case = db.session.scalar(db.select(Case))
    names = {f.original_name for f in db.session.scalars(db.select(EvidenceFile))}
    assert {"trademark-certificate.pdf", "test-purchase.pdf", "evaluation-report.pdf"} <= names
    assert case.filings[0].terms["elements"]["truthfulness_guarantee"] is True
