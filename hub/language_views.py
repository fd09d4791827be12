"""The footer's language menu."""

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from billing.services import customer_language_set
from magiclinks.csrf import access_csrf_protect
from magiclinks.sessions import customer_from_session, hub_next_path
from vendors.formatting import offered_languages
from vendors.http import VendorRequest
from vendors.languages import choice_cookie_set


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"))

    def __init__(self, *args, vendor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)  # narrows the type for mypy
        field.choices = [(code, code) for code in offered_languages(vendor)]


# The menu posts from every hub page, the access pages included, which are
# sent with Referrer-Policy: no-referrer (their posts carry `Origin: null`):
# the same CSRF check as theirs, token and all.
@access_csrf_protect
@require_POST
def language(request: VendorRequest, account: str) -> HttpResponse:
    """Switch the hub's language and go back to the page the person was on.

    A POST with the CSRF token: a link or a third-party page must not change
    someone's stored language. The way back is a path inside this vendor's
    hub only (hub_next_path), never an address from elsewhere: no open
    redirect. Signed in, the choice is stored on the customer; in any case
    this browser keeps it in a cookie scoped to the vendor's hub.
    """
    vendor = request.vendor
    back = hub_next_path(request.POST.get("next"), vendor=vendor)
    form = LanguageForm(request.POST, vendor=vendor)
    if not form.is_valid():
        # Only a hand-made request sends a language not in the menu: back
        # to the page, unchanged.
        return redirect(back)
    chosen = form.cleaned_data["language"]
    customer, _ended = customer_from_session(request, vendor=vendor)
    if customer is not None:
        customer_language_set(customer=customer, language=chosen)
    response = redirect(back)
    choice_cookie_set(response, vendor, chosen)
    return response
