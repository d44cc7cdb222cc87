"""The account pages: what sign-up and the preferences page show (view models)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from odr.accounts.models import SELF_SERVICE_ROLES, Account, Role
from odr.config import FILING_LANGUAGES, UI_LOCALES
from odr.forms import BLANK, FormState


@dataclass(frozen=True)
class SignupPage:
    roles: list[Role]  # the roles one may take on oneself
    languages: list[str]
    form: FormState


def signup_page(form: FormState = BLANK) -> SignupPage:
    return SignupPage(roles=sorted(SELF_SERVICE_ROLES, key=lambda r: r.value), languages=FILING_LANGUAGES, form=form)


@dataclass(frozen=True)
class ProfilePage:
    locales: list[str]
    locale: str | None  # the account's own choice, if any
    time_zone: str
    form: FormState
    # How the account is told by e-mail (odr.notifications.preferences): {"frequency", "email"}.
    notifications: dict | None = None
    frequencies: list[tuple[str, str]] | None = None
    email: str = ""
    email_verified_at: datetime | None = None
    # Whether the account may take part in a case as the seller (and so claim one).
    can_claim: bool = False
    # The case waiting for the account's verified address (odr.cases.claims.offer_for), if any.
    offer: ClaimOffer | None = None


@dataclass(frozen=True)
class ClaimOffer:
    party_id: int
    party_name: str
    cases: list[tuple[str, str]]  # (reference, title)


def profile_page(account: Account, form: FormState = BLANK) -> ProfilePage:
    from odr.cases import claims
    from odr.notifications import preferences

    offer = claims.offer_for(account)
    return ProfilePage(
        locales=list(UI_LOCALES),
        locale=account.locale,
        time_zone=account.effective_time_zone,
        form=form,
        notifications=preferences.preferences_json(preferences.preferences_of(account)),
        frequencies=[(str(key), str(title)) for key, title in preferences.FREQUENCY_TITLES.items()],
        email=account.email,
        email_verified_at=account.email_verified_at,
        can_claim=account.role in claims.CLAIM_ROLES,
        offer=None
        if offer is None
        else ClaimOffer(offer.party.id, offer.party.name, [(case.reference, case.title) for case in offer.cases]),
    )


@dataclass(frozen=True)
class LinkPage:
    """The page a one-time link opens: whether the link still works, and the form it carries."""

    live: bool
    form: FormState


def link_page(live: bool, form: FormState = BLANK) -> LinkPage:
    return LinkPage(live=live, form=form)


@dataclass(frozen=True)
class TwoFactorPage:
    required: bool  # the account's role needs it
    on: bool
    secret: str | None  # while setting up: the secret to type into the app, in groups of four
    uri: str | None  # and the otpauth:// URI an app reads
    recovery_codes_left: int
    form: FormState


def two_factor_page(account: Account, form: FormState = BLANK) -> TwoFactorPage:
    from odr.accounts import second_factor

    on = second_factor.is_on(account)
    secret = None if on or not account.totp_secret else account.totp_secret
    return TwoFactorPage(
        required=second_factor.is_required(account),
        on=on,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if secret else None,
        uri=None if on else second_factor.provisioning_uri(account),
        recovery_codes_left=second_factor.recovery_codes_left(account) if on else 0,
        form=form,
    )
