"""The platform rules page: the version in force in the reader's language, earlier versions on request."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale

from odr.models_base import utcnow
from odr.platform_rules import pages, services

bp = Blueprint("platform_rules", __name__, template_folder="templates")


@bp.get("/platform-rules")
def show():
    version = services.find_version(request.args.get("version"), utcnow().date())
    if version is None:
        abort(404)
    return render_template("platform_rules/show.html", page=pages.rules_page(str(get_locale()), version))


def citation_href(link: str | None) -> str | None:
    """Where a citation's link points in the application: the anchored rule on this page for the platform rules,
    the link itself for any other source (the primary text of a statute)."""
    number = services.rule_number(link)
    if number is not None:
        return url_for("platform_rules.show", _anchor=services.anchor(number))
    return link or None
