"""Sign-up, sign-in and sign-out pages."""

from __future__ import annotations

import time
from urllib.parse import unquote

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import Label
from werkzeug.datastructures import MultiDict

from odr.accounts import limits, links, pages, second_factor
from odr.accounts.models import Account, LinkPurpose
from odr.accounts.services import (
    authenticate,
    end_session,
    save_preferences,
    sign_up,
    signed_in,
    start_session,
)
from odr.cases import claims
from odr.domain_events import commit
from odr.errors import ValidationFailed
from odr.extensions import account_name, account_name_key, address_key, db, limiter, login_manager
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, refused, submit

bp = Blueprint("accounts", __name__, template_folder="templates")


# Columns read with the signed-in account on every page (``read_with_signed_in``).
_READ_WITH: tuple[Label, ...] = ()


def read_with_signed_in(column: Label) -> None:
    """Read ``column`` (labelled, correlated to ``Account.id``: something every page shows of its reader) in the
    statement that reads the signed-in account, instead of in one of its own; its value is then in
    ``read_with_signed_in_account()``."""
    global _READ_WITH
    _READ_WITH = (*(c for c in _READ_WITH if c.name != column.name), column)


def read_with_signed_in_account() -> dict[str, object]:
    """The values read with the signed-in account by ``read_with_signed_in``'s columns, by name, where they still
    hold: in a GET or HEAD request (which never writes, so what it read at its start is what it shows), for the
    account then signed in. Empty otherwise: the caller reads what it needs itself."""
    known = g.get("read_with_account")
    if known is None or request.method not in {"GET", "HEAD"} or known[0] != current_user.get_id():
        return {}
    return known[1]


@login_manager.user_loader
def load_account(account_id: str):
    # The cookie only names a server-side session: one ended at sign-out, by a password change or by an
    # administrator no longer signs anybody in, whatever copy of the cookie is presented.
    found = signed_in(int(account_id), session.get(SESSION_KEY), _READ_WITH) if account_id.isdigit() else None
    if found is None:
        return None
    account, g.read_with_account = found[0], (account_id, found[1])
    return account


SESSION_KEY = "sid"


def sign_in(account: Account) -> None:
    """Start a fresh session (nothing of the anonymous one survives but its language) and sign in."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[SESSION_KEY] = start_session(account)
    login_user(account)


# A password accepted, the code still to come: which account, where to go then, and until when (a signed cookie
# value, not a session: nothing is reachable with it but the code form).
PENDING_KEY = "second_factor"
PENDING_SECONDS = 300


def await_second_factor(account: Account, next_target: str | None) -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[PENDING_KEY] = {
        "account": account.id,
        "email": account.email.lower(),
        "next": next_target or "",
        "until": int(time.time()) + PENDING_SECONDS,
    }


def _pending() -> dict | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    return pending


def second_factor_key() -> str:
    """Wrong codes are counted per account: the one awaiting its code here, or the one a token request names."""
    pending = _pending() if request.endpoint == "accounts.second_step" else None
    if pending:
        return f"second-factor|{pending['email']}"
    if request.endpoint in SIGNED_IN_CODE_ENDPOINTS and current_user.is_authenticated:
        return f"second-factor|{current_user.email.lower()}"
    return f"second-factor|{account_name()}"


# Pages of a signed-in holder that ask for a code (to turn the second factor off, to renew recovery codes).
SIGNED_IN_CODE_ENDPOINTS = {"accounts.two_factor_off", "accounts.two_factor_recovery_codes"}


def wrong_second_factor(_response) -> bool:
    return bool(g.get("wrong_second_factor"))


# One count for the web's second step and API token requests together.
wrong_codes_limit = limiter.shared_limit(
    second_factor.WRONG_CODES_LIMIT,
    scope="second-factor",
    key_func=second_factor_key,
    methods=["POST"],
    deduct_when=wrong_second_factor,
)


ENROLMENT_ENDPOINTS = {
    "accounts.two_factor",
    "accounts.two_factor_start",
    "accounts.two_factor_confirm",
    "accounts.logout",
    "static",
}


@bp.before_app_request
def enrol_before_anything_else():
    """A mediator, court or administrator signed in without a second factor reaches only the enrolment page
    (and sign-out); the API is closed to it anyway (no token without the code)."""
    if request.endpoint in ENROLMENT_ENDPOINTS or request.blueprint in {"api", "ops"} or request.endpoint is None:
        return None
    if current_user.is_authenticated and second_factor.must_enrol(current_user):
        return redirect(url_for("accounts.two_factor"))
    return None


def sign_out() -> None:
    end_session(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our domain.
    # Browsers ignore tabs and line breaks in URLs ("/\t/evil.example" is "//evil.example"), so any
    # control or space character makes the target unsafe, as do "//" and backslashes.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
        and not unquote(target).startswith("//")
        and "\\" not in unquote(target)
    ):
        return target
    return url_for("cases.dashboard")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = BLANK
    if request.method == "POST":
        try:
            account = sign_up(request.form.to_dict(), commit=False)
        except ValidationFailed as exc:
            form = refused(exc, "signup")
        else:
            links.send_verification(account)
            commit()
            sign_in(account)
            flash(_("Welcome. Your account is ready. We sent you an e-mail to confirm your address."), "success")
            return redirect(url_for("cases.dashboard"))
    return render_template("accounts/signup.html", page=pages.signup_page(form), form=form), 422 if form.errors else 200


FAILED_SIGN_IN_LIMIT = "10 per 15 minutes"  # per address and account name
# Per account name from every address: guessing one account's password from many addresses is slowed down,
# but the delay is at most a minute, so nobody can lock the owner out of their account for longer.
FAILED_SIGN_IN_PER_ACCOUNT = "10 per minute"
# Per address over every account name: password spraying (one password tried on many accounts).
FAILED_SIGN_IN_PER_ADDRESS = "50 per 15 minutes"


def failed_sign_in(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_SIGN_IN_LIMIT, methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(FAILED_SIGN_IN_PER_ACCOUNT, key_func=account_name_key, methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(FAILED_SIGN_IN_PER_ADDRESS, key_func=address_key, methods=["POST"], deduct_when=failed_sign_in)
def login():
    if request.method == "POST":
        account = authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if account is None:
            flash(_("E-mail address or password is wrong."), "error")
            # The e-mail address is kept; the password never comes back to the page.
            typed = FormState("login", MultiDict({"email": request.form.get("email", "")}))
            return render_template("accounts/login.html", form=typed), 401
        if second_factor.is_on(account):
            await_second_factor(account, request.args.get("next"))
            return redirect(url_for("accounts.second_step"))
        sign_in(account)
        if second_factor.must_enrol(account):
            flash(_("Your role needs two-step sign-in. Set it up now to continue."), "info")
            return redirect(url_for("accounts.two_factor"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=BLANK)


@bp.route("/login/code", methods=["GET", "POST"])
@wrong_codes_limit
def second_step():
    """The second step of signing in: the code from the authenticator app, or a recovery code."""
    pending = _pending() or {}
    account = db.session.get(Account, pending["account"]) if pending else None
    if account is None or not account.active or not second_factor.is_on(account):
        session.pop(PENDING_KEY, None)
        flash(_("Sign in again: the time for the code ran out."), "error")
        return redirect(url_for("accounts.login"))
    if request.method == "POST":
        if second_factor.take_code(account, request.form.get("code")):
            sign_in(account)
            return redirect(_safe_next(pending["next"]))
        g.wrong_second_factor = True
        flash(_("This code is not right."), "error")
        return render_template("accounts/second_step.html", form=BLANK), 401
    return render_template("accounts/second_step.html", form=BLANK)


@bp.post("/logout")
@login_required
def logout():
    sign_out()
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    if request.method == "GET":
        return _profile()

    def act():
        save_preferences(current_user, request.form.get("locale"), request.form.get("time_zone"))
        session["locale"] = current_user.locale
        flash(_("Your preferences are saved."), "success")

    return submit(act, form="profile", page=_profile, done=url_for("accounts.profile"))


def _profile(form: FormState = BLANK):
    return render_template("accounts/profile.html", page=pages.profile_page(current_user, form), form=form)


@bp.get("/profile/two-factor")
@login_required
def two_factor():
    return _two_factor()


def _two_factor(form: FormState = BLANK):
    return render_template("accounts/two_factor.html", page=pages.two_factor_page(current_user, form), form=form)


@bp.post("/profile/two-factor/start")
@login_required
def two_factor_start():
    def act():
        second_factor.begin_enrolment(current_user)

    return submit(act, form="two_factor", page=_two_factor, done=url_for("accounts.two_factor"))


@bp.post("/profile/two-factor/confirm")
@login_required
def two_factor_confirm():
    try:
        codes = second_factor.confirm_enrolment(
            current_user, request.form.get("code"), keep_session=session.get(SESSION_KEY)
        )
    except ValidationFailed as exc:
        form = refused(exc, "two_factor")
        return _two_factor(form), 422
    flash(_("Two-step sign-in is on."), "success")
    # Shown this once: the page is the answer to the POST, never stored or redirected to.
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.post("/profile/two-factor/off")
@login_required
@wrong_codes_limit
def two_factor_off():
    try:
        second_factor.turn_off(
            current_user, request.form.get("password"), request.form.get("code"), keep_session=session.get(SESSION_KEY)
        )
    except ValidationFailed as exc:
        g.wrong_second_factor = isinstance(exc, second_factor.WrongCode)
        return _two_factor(refused(exc, "two_factor_off")), 422
    flash(_("Two-step sign-in is off. Signing in takes your password only."), "success")
    return redirect(url_for("accounts.two_factor"))


@bp.post("/profile/two-factor/recovery-codes")
@login_required
@wrong_codes_limit
def two_factor_recovery_codes():
    try:
        codes = second_factor.renew_recovery_codes(current_user, request.form.get("code"))
    except ValidationFailed as exc:
        g.wrong_second_factor = isinstance(exc, second_factor.WrongCode)
        return _two_factor(refused(exc, "two_factor_codes")), 422
    flash(_("New recovery codes are made; the old ones no longer work."), "success")
    # Shown this once: the page is the answer to the POST, never stored or redirected to.
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.post("/profile/notifications")
@login_required
def notification_preferences():
    from odr.notifications.preferences import save_preferences as save_notification_preferences

    def act():
        save_notification_preferences(current_user, request.form.get("frequency"), request.form.get("email"))
        db.session.commit()
        flash(_("Your notification preferences are saved."), "success")

    return submit(act, form="notifications", page=_profile, done=url_for("accounts.profile"))


# Per address, on pages that spend a one-time link (the secret is long; this only stops hammering).
LINK_LIMIT = "30 per hour"


@bp.post("/profile/verification")
@login_required
def send_verification():
    """E-mail a new link that confirms the account's address (the earlier ones stop working)."""

    def act():
        links.send_verification(current_user)
        commit()
        flash(_("We sent a new link to %(email)s. It works once.", email=current_user.email), "success")

    return submit(act, form="verification", page=_profile, done=url_for("accounts.profile"))


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
@limiter.limit(LINK_LIMIT, key_func=limits.address_key, methods=["POST"])
def verify_email(token):
    """The link e-mailed at sign-up. Opening it shows a button: the address is confirmed by the POST, so a mail
    scanner that fetches links does not spend it (and no GET writes)."""
    if request.method == "POST":
        try:
            links.verify_email(token)
        except ValidationFailed:
            return _link_page("accounts/verify_email.html", token, LinkPurpose.VERIFY_EMAIL)
        flash(_("Thank you: your e-mail address is confirmed."), "success")
        return redirect(url_for("accounts.profile") if current_user.is_authenticated else url_for("accounts.login"))
    return _link_page("accounts/verify_email.html", token, LinkPurpose.VERIFY_EMAIL)


def _link_page(template: str, token: str, purpose: LinkPurpose, form: FormState = BLANK):
    page = pages.link_page(links.live_link(token, purpose) is not None, form)
    return render_template(template, page=page, form=form), 200 if page.live else 410


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link to set a new password. The answer is the same whether or not an account uses the address."""
    form = BLANK
    if request.method == "POST":
        try:
            links.request_password_reset(request.form.get("email"))
        except ValidationFailed as exc:
            form = refused(exc, "forgot")
        else:
            flash(
                _(
                    "If an account uses this address, we sent it a link to set a new password. It works once, for "
                    "one hour. Nothing arrived? Check the address and your spam folder, then ask again."
                ),
                "success",
            )
            return redirect(url_for("accounts.forgot_password"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(LINK_LIMIT, key_func=limits.address_key, methods=["POST"])
def reset_password(token):
    """The link of a reset e-mail: choose a new password; every session of the account ends."""
    if request.method == "GET":
        return _link_page("accounts/reset_password.html", token, LinkPurpose.RESET_PASSWORD)
    try:
        links.reset_password(token, request.form.get("new_password"))
    except ValidationFailed as exc:
        form = refused(exc, "reset")
        page, status = _link_page("accounts/reset_password.html", token, LinkPurpose.RESET_PASSWORD, form)
        return page, exc.status if status == 200 else status
    if current_user.is_authenticated:
        sign_out()
    flash(_("Your password is changed, and you are signed out everywhere. Sign in with your new password."), "success")
    return redirect(url_for("accounts.login"))


@bp.post("/profile/claim")
@login_required
def claim_with_code():
    """Reach a case with the invitation code a notice sent (a seller who signed up without it)."""

    def act():
        party = claims.claim_with_code(current_user, request.form.get("invitation_code"))
        flash(_("You joined the cases of %(name)s. They are on your dashboard.", name=party.name), "success")

    return submit(act, form="claim", page=_profile, done=url_for("cases.dashboard"))


@bp.post("/profile/claim/offer")
@login_required
def accept_offer():
    """Join the case that waits for the account's verified e-mail address."""
    raw = request.form.get("party_id", "")

    def act():
        party_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
        party = claims.accept_offer(current_user, party_id)
        flash(_("You joined the cases of %(name)s. They are on your dashboard.", name=party.name), "success")

    return submit(act, form="offer", page=_profile, done=url_for("cases.dashboard"))
