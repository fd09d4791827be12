"""The fake Stripe.js that localstripe serves, taught one thing real Stripe
Elements does: the card element never sends a six-digit expiry year.

localstripe's Card Element builds the year as `'20' + <what was typed>`, so a
customer who types the year as printed on many cards ("2034") sends 202034,
and localstripe answers a bare "Bad request". Stripe's own Card Element takes
the expiry as "MM / YY" and formats whatever is typed into it
(https://docs.stripe.com/js/element/input_validation), so with real Stripe a
four-digit year never reaches the API. The middleware below rewrites that one
expression of the served script; nothing of localstripe is copied.
"""

from typing import Any

from aiohttp import web

PATH = "/js.stripe.com/v3/"
ORIGINAL = "exp_year: '20' + this._inputs.exp_year.value,"
# Two digits as Stripe's "YY"; four digits taken as they are.
TODAY = "exp_year: (y => y.length === 4 ? y : '20' + y)(this._inputs.exp_year.value.trim()),"


def teach_card_element(app: web.Application) -> None:
    """Install the rewrite as a middleware of localstripe's app (before it starts)."""

    @web.middleware
    async def card_element(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.path != PATH or not isinstance(response, web.Response):
            return response
        script = response.text or ""
        if ORIGINAL not in script:
            # A localstripe release changed the script: say so rather than
            # serve a fake that silently behaves differently from Stripe.
            raise RuntimeError("localstripe's card element changed; review this patch")
        return web.Response(
            text=script.replace(ORIGINAL, TODAY), content_type="application/javascript"
        )

    app.middlewares.append(card_element)
