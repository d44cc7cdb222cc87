"""The CI check: every user-facing string is marked, every catalog complete, exact and with the right plurals."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
tool = sys.modules.setdefault("i18n_tool", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(tool)


@pytest.fixture(scope="module")
def expected():
    return tool.expected_messages()


def test_every_user_facing_string_in_templates_and_python_is_marked_for_translation():
    problems = tool.unmarked_template_strings() + tool.unmarked_python_strings()
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("locale", ["en", "zh_Hans", "es", "fr", "de", "ja", "ko", "pt", "ru", "ar"])
def test_the_catalog_is_complete_and_exact(locale, expected):
    problems = tool.catalog_problems(locale, expected)
    assert not problems, f"{len(problems)} problem(s); run `make i18n` and translate:\n" + "\n".join(map(str, problems))


def test_the_check_finds_unmarked_text_in_a_template(tmp_path):
    folder = tmp_path / "odr" / "x" / "templates"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(
        '<h1>{{ _("Fine") }}</h1>\n<p>Pay now</p>\n<input placeholder="Your name">'
        "\n<p>{{ case.reference }} · ODR · SHA-256</p>",
        encoding="utf-8",
    )
    found = [str(p) for p in tool.unmarked_template_strings(tmp_path / "odr")]
    assert len(found) == 2, found
    assert "'Pay now'" in found[0] and 'placeholder="Your name"' in found[1]


def test_the_check_finds_unmarked_messages_in_python(tmp_path):
    (tmp_path / "views.py").write_text(
        'flash("Saved.", "success")\n'
        'flash(_("Saved."), "success")\n'
        'raise ValidationFailed("Bad input", fields={"title": "Too long"})\n'
        'errors["email"] = f"{x} is wrong"\n'
        'errors["name"] = _("Required.")\n'
        "abort(404)\n",
        encoding="utf-8",
    )
    found = sorted(p.what for p in tool.unmarked_python_strings(tmp_path))
    assert found == sorted(
        [
            "message not marked for translation: 'Saved.'",
            "message not marked for translation: 'Bad input'",
            "message not marked for translation: 'Too long'",
            "message not marked for translation: f'{x} is wrong'",
        ]
    ), found


def _po(tmp_path, locale, messages, plural_forms=None) -> Path:
    catalog = Catalog(locale=locale)
    if plural_forms:
        catalog._num_plurals, catalog._plural_expr = plural_forms
    for msgid, msgstr, flags in messages:
        catalog.add(msgid, msgstr, flags=flags)
    path = tmp_path / f"{locale}.po"
    with path.open("wb") as fh:
        write_po(fh, catalog)
    return path


def test_the_check_rejects_empty_fuzzy_and_placeholder_mismatches(tmp_path):
    expected = Catalog()
    for msgid in ("Save", "Hello %(name)s", "Due: %(when)s", "Missing here"):
        expected.add(msgid)
    path = _po(
        tmp_path,
        "fr",
        [
            ("Save", "", ()),
            ("Hello %(name)s", "Bonjour %(nom)s", ()),
            ("Due: %(when)s", "Échéance : %(when)s", ("fuzzy",)),
        ],
    )
    found = [p.what for p in tool.catalog_problems("fr", expected, path)]
    assert any(w.startswith("missing") and "Missing here" in w for w in found)
    assert any(w.startswith("not translated") and "Save" in w for w in found)
    assert any(w.startswith("placeholders") and "Hello" in w for w in found)
    assert any(w.startswith("fuzzy") and "Due" in w for w in found)


def test_the_check_wants_every_plural_form_of_russian_and_arabic(tmp_path):
    expected = Catalog()
    expected.add(("%(n)s day", "%(n)s days"))
    good = _po(tmp_path, "ru", [(("%(n)s day", "%(n)s days"), ("%(n)s день", "%(n)s дня", "%(n)s дней"), ())])
    assert tool.catalog_problems("ru", expected, good) == []
    short = _po(tmp_path, "ar", [(("%(n)s day", "%(n)s days"), ("%(n)s يوم", "%(n)s أيام"), ())])
    assert any("plural forms" in p.what for p in tool.catalog_problems("ar", expected, short))
    wrong_header = _po(tmp_path, "ru", [], plural_forms=(2, "(n != 1)"))
    assert any("Plural-Forms" in p.what for p in tool.catalog_problems("ru", Catalog(), wrong_header))
