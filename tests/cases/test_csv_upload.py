"""Notices from a spreadsheet on the web: a right holder uploads a CSV of listings, sees a preview of what it
will file and each row's errors by line, and confirms; filed through the batch path, once however often it is
confirmed. The file waits server-side between the two; only its uploader sees it."""

import csv
import io
import re

import pytest
from werkzeug.test import EnvironBuilder

from odr.cases import bulk, csv_upload, pending
from odr.cases.models import Case, Listing, PendingUpload
from odr.conduct.models import NoticeRefusal
from odr.evidence import storage
from odr.extensions import db
from tests.conftest import NOTICE_ELEMENTS

pytestmark = pytest.mark.e2e

# The elements a CSV can carry (files cannot be cells): each a column of its own.
ELEMENT_COLUMNS = {
    f"elements.{name}": ("yes" if value is True else value)
    for name, value in NOTICE_ELEMENTS.items()
    if not isinstance(value, dict)
}


def row(n: int, seller="seller@example.cn", **overrides) -> dict:
    data = {
        "jurisdiction": "US",
        "right_type": "trademark",
        "title": "Counterfeit FLAMENCO bags",
        "text": "El vendedor ofrece bolsos falsificados con nuestra marca.",
        "language": "es",
        "listings": f"https://shop.example/item/{n}",
        "respondent.email": seller,
        **ELEMENT_COLUMNS,
    }
    data.update(overrides)
    return data


def csv_bytes(rows: list[dict], delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    names = list(dict.fromkeys(k for r in rows for k in r))
    writer = csv.DictWriter(out, names, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def count(model):
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def upload(client, content: bytes, name="listings.csv", lang=None, files: dict[str, bytes] | None = None):
    """Upload a CSV, and ``files`` (by name) with it."""
    headers = {"Accept-Language": lang} if lang else {}
    form = {"csv": (io.BytesIO(content), name), "csrf_token": client.csrf("/notices/upload")}
    if files:
        form["files"] = [(io.BytesIO(data), file_name) for file_name, data in files.items()]
    # Built by hand so the builder's spooled body is closed (the test client leaves it open).
    builder = EnvironBuilder("/notices/upload", method="POST", data=form, headers=headers)
    environ = builder.get_environ()
    try:
        return client.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return re.search(r"/notices/upload/([0-9a-f]+)$", response.location).group(1)


def confirm(client, token, lang=None):
    headers = {"Accept-Language": lang} if lang else {}
    return client.post(f"/notices/upload/{token}", form_page=f"/notices/upload/{token}", headers=headers)


def test_the_dashboard_links_right_holders_to_the_upload_page_which_documents_the_columns(world, browser):
    holder = browser(world.holder)
    assert "/notices/upload" in holder.get("/").get_data(as_text=True)
    page = holder.get("/notices/upload", headers={"Accept-Language": "de"}).get_data(as_text=True)
    for column in ("jurisdiction", "listings", "respondent.email", "item_key", "elements.signature"):
        assert f"<code>{column}</code>" in page
    assert "Spalten" in page  # in the reader's language
    assert "/notices/upload" not in browser(world.seller).get("/").get_data(as_text=True)


def test_the_preview_says_what_will_be_filed_and_each_rows_errors_by_line_writing_nothing(world, browser):
    holder = browser(world.holder)
    rows = [row(1), row(2), row(3, jurisdiction="XX"), row(4, seller="other-seller@example.jp"), row(5)]
    token = token_of(upload(holder, csv_bytes(rows)))
    page = holder.get(f"/notices/upload/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # Rows 1, 2 and 5 against one seller: one case; row 4: another; row 3 (line 4 of the file) refused.
    assert "To be filed: 4 listings in 2 new cases" in html and "With errors, not filed: 1 rows" in html
    assert "2, 3, 6" in html and re.search(r"<td[^>]*>5</td>", html)  # the lines each case comes from
    assert 'id="line-4"' in html and "<code>jurisdiction</code>" in html
    french = holder.get(f"/notices/upload/{token}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Juridiction inconnue" in french  # the row's error in the reader's language
    assert count(Case) == 0 and count(NoticeRefusal) == 0


def test_confirming_files_the_rows_through_the_batch_path_once_however_often_it_is_confirmed(world, browser):
    holder = browser(world.holder)
    rows = [row(1), row(2), row(3, **{"respondent.email": "not an address"})]
    token = token_of(upload(holder, csv_bytes(rows)))
    assert confirm(holder, token).status_code == 302
    assert count(Case) == 1 and count(Listing) == 2
    case = db.session.scalar(db.select(Case))
    assert sorted(x.locator for x in case.listings) == ["https://shop.example/item/1", "https://shop.example/item/2"]
    # The row left out with its errors was shown in the preview: not counted as a refused notice.
    assert count(NoticeRefusal) == 0
    # Confirmed again (a double click, a reload), or the same file uploaded again: nothing new.
    assert confirm(holder, token).status_code == 302
    again = token_of(upload(holder, csv_bytes(rows)))
    confirm(holder, again)
    assert count(Case) == 1 and count(Listing) == 2
    page = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert case.reference in page and "File 2 listings" not in page


def test_an_item_key_column_files_a_corrected_file_without_filing_its_rows_twice(world, browser):
    holder = browser(world.holder)
    first = [row(1, item_key="A1"), row(2, item_key="A2")]
    confirm(holder, token_of(upload(holder, csv_bytes(first))))
    corrected = first + [row(3, item_key="A3")]
    confirm(holder, token_of(upload(holder, csv_bytes(corrected))))
    assert count(Listing) == 3 and count(Case) == 2


def test_semicolons_and_a_byte_order_mark_as_spreadsheets_write_them_are_read(world, browser):
    holder = browser(world.holder)
    content = b"\xef\xbb\xbf" + csv_bytes([row(1), row(2)], delimiter=";")
    token = token_of(upload(holder, content))
    confirm(holder, token)
    assert count(Listing) == 2


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("Título;Vendedor\n".encode("latin-1") + b"\xe9\xe8\n", "UTF-8"),  # another encoding
        (b"", "no rows"),
        (csv_bytes([row(1)]).split(b"\n")[0] + b"\n", "no rows"),  # a header and nothing else
        (b"jurisdiction,title\nUS,Bags\n", "lacks required columns: right_type, text, listings, respondent.email"),
        (b"jurisdiction,right_type,title,text,listings,respondent.email,colour\n", "colour"),
        (b'jurisdiction,right_type,title,text,listings,respondent.email\nUS,"open\n', "Line 2"),
        (b"\x00\x01binary", "not a CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_a_clear_error_and_nothing_is_kept(
    world, browser, content, said
):
    holder = browser(world.holder)
    response = upload(holder, content)
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)
    assert count(PendingUpload) == 0 and count(Case) == 0


def test_the_refusals_are_in_the_readers_language(world, browser):
    response = upload(browser(world.holder), "é".encode("latin-1"), lang="es")
    assert response.status_code == 422
    assert "CSV UTF-8" in response.get_data(as_text=True) and "UTF-8" in response.get_data(as_text=True)
    assert "guárdelo" in response.get_data(as_text=True).lower()


def test_a_huge_file_and_too_many_rows_are_refused(world, browser, monkeypatch):
    holder = browser(world.holder)
    monkeypatch.setattr(bulk, "MAX_CSV_MB", 1)
    huge = csv_bytes([row(1)]) + b"x" * (1024 * 1024)
    response = upload(holder, huge)
    assert response.status_code == 422 and "1 MB" in response.get_data(as_text=True)
    monkeypatch.setattr(bulk, "MAX_ITEMS", 3)
    response = upload(holder, csv_bytes([row(n) for n in range(4)]))
    assert response.status_code == 422 and "at most 3 rows" in response.get_data(as_text=True)
    assert count(PendingUpload) == 0


def test_a_formula_cell_refuses_its_row_with_the_line_and_column(world, browser):
    holder = browser(world.holder)
    rows = [row(1), row(2, title="=cmd|' /C calc'!A0"), row(3, remedy_sought="@SUM(1+1)")]
    token = token_of(upload(holder, csv_bytes(rows)))
    html = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert 'id="line-3"' in html and 'id="line-4"' in html and 'id="line-2"' not in html
    assert "<code>title</code>" in html and "<code>remedy_sought</code>" in html
    assert "=cmd" not in html  # the cell is named by its line and column, never shown
    confirm(holder, token)
    assert count(Listing) == 1


def test_a_row_with_the_wrong_number_of_cells_is_named_by_its_line(world, browser):
    holder = browser(world.holder)
    content = csv_bytes([row(1)]) + b"US,trademark\n"
    token = token_of(upload(holder, content))
    html = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert 'id="line-3"' in html and "Line 3 has 2 cells" in html


def test_only_the_uploader_sees_or_confirms_its_upload(world, browser):
    token = token_of(upload(browser(world.holder), csv_bytes([row(1)])))
    stranger = browser(world.stranger_holder)
    assert stranger.get(f"/notices/upload/{token}").status_code == 404
    assert confirm(stranger, token).status_code == 404
    seller = browser(world.seller)
    assert seller.get("/notices/upload").status_code == 403
    assert seller.get(f"/notices/upload/{token}").status_code == 403
    assert count(Case) == 0


def test_the_confirmation_needs_the_forms_csrf_token(world, browser):
    holder = browser(world.holder)
    token = token_of(upload(holder, csv_bytes([row(1)])))
    response = holder.client.post(f"/notices/upload/{token}", data={})
    assert response.status_code == 400
    assert count(Case) == 0


def test_an_expired_upload_is_said_to_be_gone(world, browser):
    holder = browser(world.holder)
    token = token_of(upload(holder, csv_bytes([row(1)])))
    kept = db.session.scalar(db.select(PendingUpload))
    kept.expires_at = kept.created_at
    db.session.commit()
    response = holder.get(f"/notices/upload/{token}")
    assert response.status_code == 404 and "upload the file again" in response.get_data(as_text=True)
    assert csv_upload.CSV_FORM == kept.form


# -- files the rows name (a CSV cannot hold them) ---------------------------------------------------------

CERTIFICATE = b"%PDF-1.4 trademark registration certificate 12345678\n"
PURCHASE = b"%PDF-1.4 test purchase of 2026-02-20\n"


def chinese_row(n: int, seller="seller@example.cn", **overrides) -> dict:
    """A Chinese notice's row: its law asks for the right certificate and an evidence file, named by their files."""
    return row(
        n,
        seller,
        jurisdiction="CN",
        **{
            "elements.right_certificate": "certificado-marca.pdf",
            "elements.prima_facie_evidence_file": "compra-de-prueba.pdf",
            **overrides,
        },
    )


NEW_SELLER = {"respondent.name": "Guangzhou Example Ltd", "respondent.country": "CN", "respondent.language": "zh"}
FILES = {"certificado-marca.pdf": CERTIFICATE, "compra-de-prueba.pdf": PURCHASE}


def stored_documents(case: Case) -> dict[str, bytes]:
    return {
        evidence.original_name: storage.blob_store().path("evidence", evidence.stored_name).read_bytes()
        for evidence in case.evidence
    }


def test_chinese_rows_name_the_files_uploaded_with_the_csv_and_each_case_stores_its_own_copy(world, browser):
    holder = browser(world.holder)
    rows = [chinese_row(1), chinese_row(2), chinese_row(3, seller="other-seller@example.cn", **NEW_SELLER)]
    token = token_of(upload(holder, csv_bytes(rows), files=FILES))
    html = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert "To be filed: 3 listings in 2 new cases" in html and "With errors" not in html
    assert "certificado-marca.pdf" in html and "Named by no row" not in html
    assert confirm(holder, token).status_code == 302
    cases = list(db.session.scalars(db.select(Case).order_by(Case.id)))
    assert [len(case.listings) for case in cases] == [2, 1]
    for case in cases:
        # Stored as the notice's elements, under names the platform chose; the uploaded names are data.
        assert stored_documents(case) == FILES
        assert case.filings[0].terms["elements"]["right_certificate"] == {
            "file": "certificado-marca.pdf",
            "media_type": "application/pdf",
        }
    # The uploaded files stay the upload's (until it expires): a second confirmation files nothing new.
    confirm(holder, token)
    assert count(Case) == 2


def test_a_row_naming_a_file_not_uploaded_is_refused_by_its_line_and_names_the_file(world, browser):
    holder = browser(world.holder)
    rows = [chinese_row(1), chinese_row(2, **{"elements.right_certificate": "certificado-2025.pdf"})]
    token = token_of(upload(holder, csv_bytes(rows), files=FILES))
    html = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert "To be filed: 1 listings in 1 new cases" in html and "With errors, not filed: 1 rows" in html
    assert 'id="line-3"' in html and "no file named “certificado-2025.pdf”" in html
    confirm(holder, token)
    assert count(Case) == 1 and count(Listing) == 1


def test_a_file_named_by_no_row_is_listed_as_not_filed(world, browser):
    holder = browser(world.holder)
    token = token_of(upload(holder, csv_bytes([chinese_row(1)]), files={**FILES, "catalogo.pdf": CERTIFICATE}))
    html = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert re.search(r"Named by no row, not filed:</strong> <bdi>catalogo.pdf</bdi>", html)
    confirm(holder, token)
    assert "catalogo.pdf" not in stored_documents(db.session.scalar(db.select(Case)))


def test_a_file_that_is_no_document_refuses_the_rows_naming_it(world, browser):
    holder = browser(world.holder)
    files = {**FILES, "certificado-marca.pdf": b"MZ\x90\x00 an executable"}
    token = token_of(upload(holder, csv_bytes([chinese_row(1)]), files=files))
    html = holder.get(f"/notices/upload/{token}").get_data(as_text=True)
    assert "is not a PDF, PNG, JPEG or WebP document (its content was checked, not its name)" in html
    assert "To be filed" in html and 'id="line-2"' in html


def test_files_that_cannot_be_told_apart_by_name_or_too_many_are_refused_whole(world, browser, monkeypatch):
    holder = browser(world.holder)
    # Two parts whose names differ only by a path: the name kept is the last part, so the rows could not tell.
    form_files = {"certificado-marca.pdf": CERTIFICATE, "../../certificado-marca.pdf": PURCHASE}
    response = upload(holder, csv_bytes([chinese_row(1)]), files=form_files)
    assert response.status_code == 422
    assert "Two files are named “certificado-marca.pdf”" in response.get_data(as_text=True)
    monkeypatch.setattr(csv_upload, "MAX_UPLOADS", 2)
    response = upload(holder, csv_bytes([chinese_row(1)]), files={**FILES, "c.pdf": CERTIFICATE}, lang="es")
    assert response.status_code == 422
    assert "Se pueden subir como máximo 2 archivos con un CSV." in response.get_data(as_text=True)
    assert count(PendingUpload) == 0 and not list(storage.blob_store().names("evidence"))


def test_the_files_expire_with_the_csv_and_a_path_in_a_name_is_never_followed(world, browser, app):
    holder = browser(world.holder)
    token = token_of(
        upload(holder, csv_bytes([chinese_row(1)]), files={"../../etc/certificado-marca.pdf": CERTIFICATE})
    )
    kept = {row.original_name: row for row in db.session.scalars(db.select(PendingUpload))}
    assert set(kept) == {"listings.csv", "certificado-marca.pdf"}
    assert kept["certificado-marca.pdf"].form == csv_upload.files_form(token)
    assert kept["certificado-marca.pdf"].expires_at == kept["listings.csv"].expires_at
    assert "/" not in kept["certificado-marca.pdf"].stored_name
    assert pending.sweep_expired(kept["listings.csv"].expires_at) == 2
    assert count(PendingUpload) == 0 and not list(storage.blob_store().names("evidence"))
