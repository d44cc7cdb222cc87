"""Notice drafts as a service (odr/cases/drafts.py): each step saved before it is checked, resumed as saved,
only its owner's, removed with its kept files by the periodic sweep once expired, filed once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from odr.cases import drafts
from odr.cases.models import Case, EvidenceFile, NoticeDraft, PendingUpload
from odr.errors import NotFound, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.models_base import utcnow
from tests.cases.test_guided_notice import ELEMENTS, PDF, RIGHT


def element_files() -> MultiDict:
    return MultiDict(
        {
            "elements.right_certificate": FileStorage(io.BytesIO(PDF), "certificado-marca.pdf"),
            "elements.prima_facie_evidence_file": FileStorage(io.BytesIO(PDF), "compra-de-prueba.pdf"),
        }
    )


def ready(account) -> NoticeDraft:
    draft = drafts.start_draft(account)
    drafts.save_right(account, draft.id, RIGHT)
    drafts.confirm_procedure(account, draft.id)
    drafts.save_elements(account, draft.id, MultiDict(ELEMENTS), element_files())
    return drafts.get_draft(account, draft.id)


def test_a_refused_step_is_saved_as_typed_and_resumed_as_saved(world, app):
    with app.test_request_context():
        draft = drafts.start_draft(world.holder)
        with pytest.raises(ValidationFailed) as refused:
            drafts.save_right(world.holder, draft.id, dict(RIGHT, respondent_email="not an address"))
        assert set(refused.value.fields) == {"respondent.email"}  # only the step's own fields
        again = drafts.get_draft(world.holder, draft.id)
        assert again.step == "right" and drafts.fields_of(again)["title"] == RIGHT["title"]
        assert drafts.fields_of(again)["respondent_email"] == "not an address"
        drafts.save_right(world.holder, draft.id, RIGHT)
        assert drafts.get_draft(world.holder, draft.id).step == "procedure"
        assert [d.id for d in drafts.own_drafts(world.holder)] == [draft.id]


def test_changing_the_right_after_the_summary_walks_the_steps_again(world, app):
    with app.test_request_context():
        draft = ready(world.holder)
        assert draft.step == "summary"
        drafts.save_right(world.holder, draft.id, dict(RIGHT, target_market="DE"))  # now the DSA's notice
        draft = drafts.get_draft(world.holder, draft.id)
        assert draft.step == "procedure" and not drafts.reached(draft, "summary")
        with pytest.raises(ValidationFailed):
            drafts.file_draft(world.holder, draft.id)
        assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_only_the_owner_reads_changes_or_files_a_draft(world, app):
    with app.test_request_context():
        draft = ready(world.holder)
        for act in (
            lambda: drafts.get_draft(world.stranger_holder, draft.id),
            lambda: drafts.save_right(world.stranger_holder, draft.id, RIGHT),
            lambda: drafts.file_draft(world.stranger_holder, draft.id),
            lambda: drafts.discard_draft(world.stranger_holder, draft.id),
        ):
            with pytest.raises(NotFound):
                act()
        assert drafts.own_drafts(world.stranger_holder) == []
        assert db.session.get(NoticeDraft, draft.id) is not None


def test_the_sweep_removes_expired_drafts_with_their_kept_files(world, app):
    with app.test_request_context():
        draft = ready(world.holder)
        names = list(db.session.scalars(db.select(PendingUpload.stored_name)))
        assert len(names) == 2
        # The kept files last as long as the draft, beyond the 24 hours of a refused form's files.
        assert {row.expires_at for row in db.session.scalars(db.select(PendingUpload))} == {draft.expires_at}
        assert drafts.sweep_expired_drafts(utcnow()) == 0
        later = draft.expires_at + timedelta(minutes=1)
        with pytest.raises(NotFound):
            drafts.get_draft(world.holder, draft.id, later)
        assert drafts.sweep_expired_drafts(later) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(NoticeDraft)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0
        assert not any(storage.blob_store().path("evidence", name).exists() for name in names)


def test_a_draft_is_filed_once_through_the_notice_service(world, app):
    with app.test_request_context():
        draft = ready(world.holder)
        key = draft.data["key"]
        outcome = drafts.file_draft(world.holder, draft.id)
        assert outcome.created and isinstance(outcome.obj, Case)
        assert db.session.scalar(db.select(db.func.count()).select_from(NoticeDraft)) == 0
        assert set(db.session.scalars(db.select(EvidenceFile.original_name))) == {
            "certificado-marca.pdf",
            "compra-de-prueba.pdf",
        }
        with pytest.raises(NotFound):  # the draft is gone: a second submission finds the case under its key
            drafts.file_draft(world.holder, draft.id)
        assert drafts.filed_case(world.holder, key).id == outcome.obj.id
        assert drafts.filed_case(world.stranger_holder, key) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
