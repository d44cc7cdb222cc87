"""The template globals that tie a refused form's errors to its inputs (odr.forms: field_error, invalid)."""

from odr.forms import BLANK, FormState, field_error, invalid


def test_a_field_with_an_error_is_marked_and_its_message_escaped():
    form = FormState("agreement", errors={"terms.amount": 'Not a <b>number</b> & "no"'})
    assert invalid(form, "terms.amount") == ' aria-invalid="true" aria-describedby="terms-amount-error"'
    assert field_error(form, "terms.amount") == (
        '<span class="field-error" id="terms-amount-error">Not a &lt;b&gt;number&lt;/b&gt; &amp; &#34;no&#34;</span>'
    )


def test_a_field_without_an_error_and_a_blank_form_write_nothing():
    form = FormState("agreement", errors={"terms.amount": "Not a number"})
    for state, name in ((form, "terms.currency"), (BLANK, "terms.amount")):
        assert invalid(state, name) == "" and field_error(state, name) == ""
