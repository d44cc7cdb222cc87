"""The reader's language and formats; messages in each recipient's language; bidi isolation."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import get_locale
from flask_login import login_user, logout_user

from odr.accounts.models import Role
from odr.i18n import bidi, dual_time, render_notification, select_locale, text_direction, ui_locale_for
from odr.notifications.models import Notification
from odr.notifications.services import notify
from tests.conftest import Browser, make_account

RLO, LRO, PDF = "\u202e", "\u202d", "\u202c"


def _locale_for(app, *, query="", accept=None, session_locale=None, account=None, path="/"):
    headers = {"Accept-Language": accept} if accept else {}
    with app.test_request_context(path + query, headers=headers):
        from flask import session

        if session_locale:
            session["locale"] = session_locale
        if account is not None:
            login_user(account)
        try:
            return select_locale()
        finally:
            logout_user()  # the test's app context outlives this request


def test_the_switcher_beats_the_profile_which_beats_the_browser(app):
    account = make_account(Role.SELLER, "wei@example.cn", language="zh")
    account.locale = "ja"
    assert _locale_for(app, query="?lang=ko", account=account, accept="de") == "ko"
    assert _locale_for(app, session_locale="ru", account=account, accept="de") == "ru"
    assert _locale_for(app, account=account, accept="de") == "ja"
    assert _locale_for(app, accept="fr-CA,fr;q=0.9,en;q=0.5") == "fr"


def test_the_browser_language_maps_regional_tags_to_the_offered_locales(app):
    assert _locale_for(app, accept="zh-CN,zh;q=0.9") == "zh_Hans"
    assert _locale_for(app, accept="pt-BR") == "pt"
    assert _locale_for(app, accept="ar-MA") == "ar"
    assert ui_locale_for("it") is None


def test_without_any_preference_the_jurisdiction_default_applies(app):
    assert _locale_for(app) == "en"
    app.config["ODR"]["DEFAULT_LOCALE"] = "es"
    assert _locale_for(app) == "es"


def test_an_unknown_language_in_the_switcher_is_ignored(app):
    assert _locale_for(app, query="?lang=xx", accept="de") == "de"
    assert _locale_for(app, query="?lang=<script>", accept="ja") == "ja"


def test_the_chosen_language_is_remembered_across_pages(app, world):
    browser = Browser(app, world.holder)
    assert 'lang="ar" dir="rtl"' in browser.get("/?lang=ar").get_data(as_text=True)
    page = browser.get("/profile").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in page and "تفضيلاتك" in page


def test_arabic_is_right_to_left_and_the_rest_left_to_right():
    assert text_direction("ar") == "rtl"
    assert all(text_direction(code) == "ltr" for code in ("en", "zh_Hans", "ja", "ru", "de"))


def test_a_deadline_shows_in_the_readers_zone_and_in_the_governing_zone(app, world):
    due = datetime(2026, 12, 4, 15, 59, 59, tzinfo=UTC)
    with app.test_request_context("/?lang=de"):
        login_user(world.holder)  # Europe/Madrid
        html = str(dual_time(due, "Asia/Shanghai"))
        assert str(get_locale()) == "de"
        assert 'datetime="2026-12-04T15:59:59+00:00"' in html
        assert "04.12.2026, 16:59 (Madrid)" in html and "04.12.2026, 23:59 (Shanghai)" in html
        assert "maßgebliche Zeit" in html
        # Same offset as the reader: one time is enough.
        assert "maßgebliche" not in str(dual_time(due, "Europe/Madrid"))


def test_numbers_and_currencies_follow_the_readers_locale(app):
    from flask_babel import format_currency, format_decimal

    with app.test_request_context("/?lang=de"):
        select_locale()
        assert format_decimal(1234567.5) == "1.234.567,5"
        assert format_currency(800, "EUR") == "800,00\xa0€"
    with app.test_request_context("/?lang=ar"):
        assert "١" in format_decimal(1) or format_decimal(1) == "1"


def test_a_notification_is_rendered_in_the_recipients_language_not_the_readers(app):
    note = notify(
        "wei@example.cn", "zh", "invitation", {"case_id": 7, "invitation_code": "c0de", "claimant": "Flamenco Diseños"}
    )
    spanish = notify(
        "lucia@example.es", "es", "invitation", {"case_id": 7, "invitation_code": "c0de", "claimant": "Wei"}
    )
    with app.test_request_context("/?lang=en"):
        select_locale()
        subject, body = render_notification(note)
        assert subject == "关于您商品的通知（案件 7）"
        assert "c0de" in body and "Flamenco Diseños" in body
        assert render_notification(spanish)[0] == "Una notificación sobre su anuncio (caso 7)"
        # The reader's own locale is untouched after rendering for someone else.
        assert str(get_locale()) == "en"


def test_the_outbox_row_of_an_invitation_carries_the_sellers_language(app, world):
    from odr.cases import services
    from tests.conftest import notice_data

    services.file_notice(
        world.holder,
        notice_data(
            seller_email="new-seller@example.jp",
            respondent={"email": "new-seller@example.jp", "name": "Shop", "country": "JP", "language": "ja"},
        ),
    )
    note = Notification.query.filter_by(recipient="new-seller@example.jp", kind="invitation").one()
    assert note.locale == "ja"
    with app.test_request_context("/"):
        assert render_notification(note)[0].startswith("あなたの出品に関する通知")


def test_user_text_with_override_characters_is_isolated_and_escaped():
    html = str(bidi(f"{RLO}evil<script>{PDF}"))
    assert html.startswith('<bdi dir="auto">') and html.endswith("</bdi>")
    assert "<script>" not in html


def test_a_name_with_an_override_cannot_leak_out_of_its_isolate_on_the_dashboard(app, world):
    from odr.cases import services
    from tests.conftest import notice_data

    services.file_notice(world.holder, notice_data(title=f"{RLO}gnissim si txet siht{LRO}"))
    page = Browser(app, world.holder).get("/").get_data(as_text=True)
    title_at = page.index(RLO)
    # The override sits inside a <bdi> that closes after it, so it cannot reorder what follows.
    assert page.rfind("<bdi>", 0, title_at) > page.rfind("</bdi>", 0, title_at)


def test_a_case_page_falls_back_to_the_language_of_its_jurisdiction(app, world):
    from odr.cases import services
    from tests.conftest import notice_data

    case = services.file_notice(world.holder, notice_data(jurisdiction="JP")).obj
    browser = Browser(app, world.holder)
    browser.client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")  # no profile language, no Accept-Language header
    assert 'lang="ja"' in browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'lang="en"' in browser.get("/").get_data(as_text=True)
    headers = {"Accept-Language": "pt-BR"}
    assert 'lang="pt"' in browser.get(f"/cases/{case.id}", headers=headers).get_data(as_text=True)


def test_the_date_filter_writes_every_locale_and_zone_exactly_as_flask_babel_does(app):
    """The page's ``datetimeformat`` looks the locale's patterns up once; what it writes is Flask-Babel's."""
    import pytz
    from flask import g
    from flask_babel import force_locale, format_datetime

    from odr.config import UI_LOCALES
    from odr.i18n import datetimeformat

    instants = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night Madrid moves to summer time
        datetime(2026, 11, 1, 5, 59, 59, tzinfo=UTC),  # New York's autumn change
        datetime(2027, 1, 1, 16, 5),  # naive: taken as UTC
    ]
    with app.test_request_context("/"):
        assert app.jinja_env.filters["datetimeformat"] is datetimeformat
        for zone in ("UTC", "Europe/Madrid", "America/New_York", "Asia/Shanghai", "Asia/Kolkata"):
            for locale in UI_LOCALES:
                with force_locale(locale):
                    g._flask_babel.babel_tzinfo = pytz.timezone(zone)
                    for fmt in ("short", "medium", "long", "full", "yyyy-MM-dd HH:mm"):
                        for instant in instants:
                            assert datetimeformat(instant, fmt) == format_datetime(instant, fmt), (zone, locale, fmt)


def test_dates_deadlines_and_their_local_times_come_from_one_zone_database(app):
    """Every time the platform counts or shows is read from the tzdata package installed with it, not the machine's
    copy: a Moroccan reader's page shows a filing's time and a deadline's local time on the same clock (Debian 12's
    2025b put Casablanca at UTC+1 in November 2026; the 2026 releases, and Flask-Babel's pytz, at UTC+0)."""
    import zoneinfo

    import pytz
    from flask import g

    from odr.i18n import datetimeformat, local_time

    assert zoneinfo.TZPATH == ()  # the packaged IANA release only
    instant = datetime(2026, 11, 24, 5, 36, tzinfo=UTC)
    with app.test_request_context("/"):
        get_locale()
        g._flask_babel.babel_tzinfo = pytz.timezone("Africa/Casablanca")
        shown = datetimeformat(instant, "medium")
        counted = instant.astimezone(zoneinfo.ZoneInfo("Africa/Casablanca"))
        assert counted.utcoffset() == instant.astimezone(pytz.timezone("Africa/Casablanca")).utcoffset()
        assert f"{counted:%-I:%M}" in shown
        assert local_time(instant, "Africa/Casablanca", "medium").startswith(shown.rsplit(":", 1)[0])


def test_short_and_medium_times_name_no_zone_in_any_ui_locale():
    """The date filter and ``local_time`` write a short or medium time once per time of day, whatever its date and
    zone: right only while no UI locale's pattern for them has a zone field (CLDR's long and full ones do)."""
    from babel.dates import get_time_format, tokenize_pattern

    from odr.config import UI_LOCALES
    from odr.i18n import ZONELESS_TIME_FORMATS

    assert "long" not in ZONELESS_TIME_FORMATS and "full" not in ZONELESS_TIME_FORMATS
    for locale in UI_LOCALES:
        for fmt in ("short", "medium", "long", "full"):
            tokens = tokenize_pattern(get_time_format(fmt, locale=locale).pattern)
            zoned = any(kind == "field" and value[0] in "zZvVOxX" for kind, value in tokens)
            assert zoned == (fmt not in ZONELESS_TIME_FORMATS), (locale, fmt)


def test_a_time_of_day_is_babels_words_at_every_minute_in_every_ui_locale():
    """Short and medium times are written from tables of each field's words (a page writes one per filing and
    event): the same text as Babel's pattern engine at every minute of the day, whatever the seconds, and no UI
    locale is left to the slower engine."""
    from datetime import time

    from babel.dates import get_time_format

    from odr.config import UI_LOCALES
    from odr.i18n import ZONELESS_TIME_FORMATS, _time_fields, _time_text

    for locale in UI_LOCALES:
        for fmt in ZONELESS_TIME_FORMATS:
            assert _time_fields(locale, fmt) is not None, (locale, fmt)
            pattern = get_time_format(fmt, locale=locale)
            for minute in range(24 * 60):
                for second, micro in ((0, 0), (7, 500), (59, 999999)):
                    at = time(minute // 60, minute % 60, second, micro)
                    assert _time_text(locale, fmt, at) == pattern.apply(at, locale), (locale, fmt, at)


def test_a_time_with_its_zone_is_babels_date_and_short_time_in_every_locale_and_zone(app):
    """``local_time`` (each deadline of the dashboard and the case page, twice when the governing zone differs) looks
    its patterns up once per locale; what it writes is Babel's date in the format and short time, joined by the
    locale's own pattern, and the zone's city."""
    from zoneinfo import ZoneInfo

    import pytz
    from babel.dates import format_date, format_time, get_timezone_location
    from flask import g
    from flask_babel import force_locale

    from odr.config import UI_LOCALES
    from odr.i18n import local_time

    instants = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night Madrid moves to summer time
        datetime(2026, 11, 1, 5, 59, 59, tzinfo=UTC),  # New York's autumn change
        datetime(2027, 1, 1, 16, 5, tzinfo=UTC),
    ]
    with app.test_request_context("/"):
        for reader in ("UTC", "Europe/Madrid", "America/New_York"):
            for locale in UI_LOCALES:
                with force_locale(locale):
                    g._flask_babel.babel_tzinfo = pytz.timezone(reader)
                    babel_locale = get_locale()
                    for zone in (None, "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"):
                        tz = ZoneInfo(zone) if zone else pytz.timezone(reader)
                        for fmt in ("short", "medium", "long", "full"):
                            for instant in instants:
                                local = instant.astimezone(tz)
                                when = babel_locale.datetime_formats[fmt].format(
                                    format_time(local, "short", locale=babel_locale),
                                    format_date(local, fmt, locale=babel_locale),
                                )
                                city = get_timezone_location(tz, locale=babel_locale, return_city=True)
                                assert local_time(instant, zone, fmt) == f"{when} ({city})", (reader, locale, zone)
