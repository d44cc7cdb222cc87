"""Refused forms: one way for every page to show a refusal next to the fields, with the user's input kept.

A view runs a form's action with ``submit``. When the service refuses it (``ValidationFailed`` or
``NotAllowed``), the same page is rendered again, not redirected: the message goes to the summary at
the top (a link to the first marked field), each field's message goes next to its input (``field_error``
and ``invalid``, template globals) and every input shows what was typed.

A page with several forms (the case page) names each one; only the refused form shows the errors and
the kept input, the others stay blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from odr.errors import NotAllowed, ValidationFailed


@dataclass(frozen=True)
class FormState:
    """One form as a page shows it: its name, what the user typed and the errors of its refusal."""

    name: str = ""
    values: MultiDict = field(default_factory=MultiDict)
    errors: Mapping[str, str] = field(default_factory=dict)
    # Files of a refused form kept for the user (odr/cases/pending.py): shown as already attached.
    attached: tuple = ()
    # A notice element's kept file (the right certificate...), by element name: one each.
    attached_elements: Mapping[str, Any] = field(default_factory=dict)

    def named(self, name: str) -> FormState:
        """This state if it belongs to the form ``name``; a blank form otherwise."""
        return self if name == self.name else BLANK

    def value(self, name: str, default: str = "") -> str:
        """What the user typed in ``name``, or ``default`` when the form was not refused."""
        return self.values.get(name, default) if self.values else default

    def chosen(self, name: str, default=()) -> list[str]:
        """Every value of a multiple choice (checkboxes of one name, a multiple select)."""
        return self.values.getlist(name) if self.values else list(default)

    def checked(self, name: str, default: bool = False) -> bool:
        return bool(self.values.get(name)) if self.values else default

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


BLANK = FormState()


# Template globals rather than macros: a form calls them about twice per field on every render, and a
# Jinja macro call costs several times a function's.
def error_id(name: str) -> str:
    """The id of a field's error message; inputs point at it with aria-describedby."""
    return name.replace(".", "-") + "-error"


def field_error(form: FormState, name: str) -> Markup:
    """The field's message of a refused form, to show next to its input."""
    message = form.error(name)
    if not message:
        return Markup()
    return Markup('<span class="field-error" id="{}">{}</span>').format(error_id(name), message)


def invalid(form: FormState, name: str) -> Markup:
    """Attributes for an input whose field has an error, so assistive technology announces the error with it."""
    if not form.error(name):
        return Markup()
    return Markup(' aria-invalid="true" aria-describedby="{}"').format(error_id(name))


def refused(
    exc: ValidationFailed | NotAllowed, name: str = "", rename: Callable[[str], str] | None = None
) -> FormState:
    """The state of a form the service refused: the message flashed for the summary, the input kept.

    ``rename`` maps a service's field path to the form's field where the two differ (numbered rows)."""
    flash(exc.message, "error")
    errors = {(rename(key) if rename else key): str(message) for key, message in exc.fields.items()}
    return FormState(name, MultiDict(request.form), errors)


def submit(
    action: Callable[[], object],
    *,
    form: str,
    page: Callable[[FormState], object],
    done: str | Callable[[object], str],
    rename: Callable[[str], str] | None = None,
):
    """Run a form's action; on success go to ``done``, on refusal render ``page`` again with the form's state.

    ``page`` renders the page the form is on, given the refused form's state (its status: that of the refusal);
    ``done`` is a URL, or makes one from what the action returned."""
    try:
        result = action()
    except (ValidationFailed, NotAllowed) as exc:
        return page(refused(exc, form, rename)), exc.status
    return redirect(done(result) if callable(done) else done)
