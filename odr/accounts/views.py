"""Sign-up, sign-in and sign-out pages."""
from __future__ import annotations

from urllib.parse import unquote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from odr.accounts.models import SELF_SERVICE_ROLES, Account
from odr.accounts.services import authenticate, sign_up
from odr.config import FILING_LANGUAGES, UI_LOCALES
from odr.errors import ValidationFailed
from odr.extensions import db, limiter, login_manager
from odr.validation import check_time_zone

bp = Blueprint("accounts", __name__, template_folder="templates")


@login_manager.user_loader
def load_account(account_id: str):
    account = db.session.get(Account, int(account_id)) if account_id.isdigit() else None
    return account if account is not None and account.active else None


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our domain.
    # Browsers ignore tabs and line breaks in URLs ("/\t/evil.example" is "//evil.example"), so any
    # control or space character makes the target unsafe, as do "//" and backslashes.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) \
            and not unquote(target).startswith("//") and "\\" not in unquote(target):
        return target
    return url_for("cases.dashboard")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    errors: dict = {}
    if request.method == "POST":
        try:
            account = sign_up(request.form.to_dict())
        except ValidationFailed as exc:
            errors = exc.fields
            flash(exc.message, "error")
        else:
            login_user(account)
            flash(_("Welcome. Your account is ready."), "success")
            return redirect(url_for("cases.dashboard"))
    return render_template("accounts/signup.html", errors=errors, form=request.form,
                           roles=sorted(SELF_SERVICE_ROLES, key=lambda r: r.value), languages=FILING_LANGUAGES), \
        422 if errors else 200


FAILED_SIGN_IN_LIMIT = "10 per 15 minutes"


def failed_sign_in(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_SIGN_IN_LIMIT, methods=["POST"], deduct_when=failed_sign_in)
def login():
    if request.method == "POST":
        account = authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if account is None:
            flash(_("E-mail address or password is wrong."), "error")
            return render_template("accounts/login.html", form=request.form), 401
        login_user(account)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form={})


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    errors: dict = {}
    if request.method == "POST":
        locale = request.form.get("locale")
        tz = check_time_zone(request.form.get("time_zone"), errors)
        if locale not in UI_LOCALES:
            errors["locale"] = _("Choose one of the offered languages.")
        if not errors:
            current_user.locale = locale
            current_user.time_zone = tz
            db.session.commit()
            from flask import session
            session["locale"] = locale
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", errors=errors), 422 if errors else 200
