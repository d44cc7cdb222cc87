"""The catalog a request reads is looked up once per request (odr.extensions) and says exactly what Flask-Babel says,
in every locale, also when a message is rendered in another locale within the request (``force_locale``)."""

from __future__ import annotations

import flask_babel
from flask_babel import force_locale

from odr.config import UI_LOCALES
from odr.extensions import gettext, lazy_gettext, locale_code, ngettext, translations

PLURAL = (
    "%(num)s measure not confirmed by the platform in time",
    "%(num)s measures not confirmed by the platform in time",
)


def test_every_message_reads_as_flask_babel_gives_it_in_every_locale(app):
    with app.test_request_context("/"):
        for locale in UI_LOCALES:
            with force_locale(locale):
                assert locale_code() == str(flask_babel.get_locale()) == locale
                msgids = [key for key in translations()._catalog if isinstance(key, str) and key][:300]
                assert locale == "en" or msgids
                for msgid in msgids:
                    assert gettext(msgid) == flask_babel.gettext(msgid), (locale, msgid)
                    assert str(lazy_gettext(msgid)) == str(flask_babel.lazy_gettext(msgid)), (locale, msgid)
                for n in (1, 2, 5):
                    assert ngettext(*PLURAL, n) == flask_babel.ngettext(*PLURAL, n), (locale, n)


def test_a_message_rendered_for_someone_else_within_a_request_is_in_their_language(app):
    page = app.jinja_env.from_string(
        "{{ _('original in %(language)s', language='<b>') }} | {{ ngettext(singular, plural, 2) }}"
    )
    singular, plural = PLURAL
    with app.test_request_context("/?lang=de"):
        assert gettext("Case") == "Fall"
        assert page.render(singular=singular, plural=plural) == (
            "Original auf &lt;b&gt; | 2 Maßnahmen nicht rechtzeitig von der Plattform bestätigt"
        )
        with force_locale("es"):
            assert gettext("Case") == flask_babel.gettext("Case") != "Fall"
            assert page.render(singular=singular, plural=plural).startswith("original en &lt;b&gt; | ")
            assert locale_code() == "es"
        # Back in the reader's language once the other one's message is written.
        assert gettext("Case") == "Fall" and locale_code() == "de"
        assert page.render(singular=singular, plural=plural).startswith("Original auf")


def test_outside_a_request_messages_are_the_originals(app):
    # The worker and the CLI have an application context and no reader: the platform default, English.
    assert gettext("Case") == flask_babel.gettext("Case") == "Case"
    assert ngettext(*PLURAL, 2) == "2 measures not confirmed by the platform in time"


def test_templates_format_messages_as_jinja_does(app):
    with app.test_request_context("/?lang=en"):
        render = app.jinja_env.from_string
        assert render("{{ _('100%% sure') }}").render() == "100% sure"  # new style: always a format string
        assert render("{{ _('original in %(language)s', language='<b>') }}").render() == "original in &lt;b&gt;"
        escaped = "{% autoescape false %}{{ _('original in %(language)s', language='<b>') }}{% endautoescape %}"
        assert render(escaped).render() == "original in <b>"
        assert render("{{ ngettext(s, p, 1) }}").render(s=PLURAL[0], p=PLURAL[1]) == PLURAL[0] % {"num": 1}
