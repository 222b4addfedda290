"""The portal's HTTP API, framework-free: a `Request` in, a `Response` out.

Every plugin mounts it under its prefix (default `/billflow`), so one script serves them all.
A page a plugin made carries its page token in `X-Billflow-Page`: who, with which page
options and which one-subscription limit, all signed (`identity/page_tokens.py`). A page
written by hand (hosted Billflow's snippet) names the customer in `X-Billflow-Identity` and
proves it with `X-Billflow-Hash`, and gets the site's own options (`X-Billflow-Subscription`
then only narrows what it shows). A host that proves the customer itself passes the
`Visitor` instead.
Every error is `{"error": {"code", "message"}}` with its status, never a stack trace.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from ..actions import page_actions
from ..actions.dispatch import ActionResult
from ..billing.state import PortalState
from ..errors import BadInput, BillflowError, Forbidden, NotFound, SettingsError
from ..portal import Portal, Visitor
from .http import STATIC_FILES, Request, Response, error_response, json_response
from .openapi import openapi_document
from .render import PageRenderer
from .request_language import Languages, Speech
from .serialize import (
    cards_json,
    invoices_json,
    preview_json,
    products_json,
    state_json,
    tax_ids_json,
)
from .static_files import served

log = logging.getLogger(__name__)

# What the page script needs of each action, sent with every page (the table is fixed).
_PAGE_ACTIONS = page_actions()

__all__ = ["DEFAULT_PREFIX", "STATIC_FILES", "PortalAPI"]

DEFAULT_PREFIX = "/billflow"


Handler = Callable[["PortalAPI", Request, Visitor | None, str], Response]


class PortalAPI:
    """The routes of the portal's HTTP API for one `Portal`."""

    def __init__(
        self,
        portal: Portal,
        *,
        prefix: str = DEFAULT_PREFIX,
        template_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        """`template_dirs`: the site's own template folders, searched before Billflow's
        (a `billflow/subscription.html` there replaces ours)."""
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise SettingsError(
                "BILLFLOW_URL_PREFIX (where the API is served) must start with '/' and not "
                "end with one, like '/billflow'",
                param="BILLFLOW_URL_PREFIX",
            )
        self.portal = portal
        self.prefix = prefix
        self.renderer = PageRenderer(portal.settings, template_dirs=template_dirs)
        self.languages = Languages(portal.settings)

    def handle(self, request: Request, *, visitor: Visitor | None = None) -> Response:
        """Answer one request. `visitor`, when given, is who the host already proved the
        request comes from; otherwise the identity headers are checked."""
        if not request.path.startswith(self.prefix + "/"):
            return error_response(NotFound("No such route.", code="route_not_found"))
        route = request.path[len(self.prefix) :]
        try:
            found = self._route(request.method, route)
            if found is None:
                return error_response(NotFound("No such route.", code="route_not_found"))
            handler, argument = found
            if handler is None:
                return _method_not_allowed(route)
            return handler(self, request, visitor, argument)
        except BillflowError as error:
            if error.status >= 500:
                log.warning("%s %s: %s", request.method, route, error.code)
            return error_response(error)
        except Exception:  # never a stack trace to the page
            log.exception("%s %s failed", request.method, route)
            return error_response(BillflowError("Something went wrong; try again."))

    def _route(self, method: str, route: str) -> tuple[Handler | None, str] | None:
        """The handler of `route` for `method` (None: the route exists, not the method)."""
        if route.startswith("/api/actions/"):
            action = route[len("/api/actions/") :]
            return (_act if method == "POST" else None), action
        handlers = ROUTES.get(route)
        if handlers is None:
            return None
        return handlers.get(method), route

    # -- what the routes share -------------------------------------------------------------
    def caller(self, request: Request, proven: Visitor | None) -> tuple[Visitor, Portal]:
        """Who asks, and the portal their page shows. The host's proven visitor first; else
        the page token (`X-Billflow-Page`), which alone then says who, with which options
        and limit (and an email-link session only with the page it was made on); else an
        email-link session (`X-Billflow-Session`) or the identity and its hash, with the
        site's own options."""
        if proven is not None:
            return proven, self.portal
        page = request.header("X-Billflow-Page")
        session = request.header("X-Billflow-Session")
        if page:
            return self.portal.for_page(page, session=session)
        limit = request.header("X-Billflow-Subscription")
        if session:
            return self.portal.session_visitor(session, subscription=limit), self.portal
        visitor = self.portal.visitor(
            request.header("X-Billflow-Identity"),
            request.header("X-Billflow-Hash"),
            subscription=limit,
        )
        return visitor, self.portal

    def session_binding(self, request: Request) -> str:
        """What a session made or ended by this request is bound to: its page's token."""
        page = request.header("X-Billflow-Page")
        return self.portal.session_binding(self.portal.open_page(page) if page else None)

    def speech(self, request: Request) -> Speech:
        """The language to answer in: the browser's, when the site translates automatically
        and has it; else the site's default."""
        return self.languages.for_request(request.header("Accept-Language"))

    def page(self, speech: Speech, state: PortalState, portal: Portal) -> dict[str, Any]:
        """The rendered portal and what the script needs to speak the customer's language."""
        return {
            "html": self.renderer.portal(
                state,
                portal.catalog.get(),
                speech,
                now=int(time.time()),
                settings=portal.settings,
            ),
            "language": speech.language,
            "dir": speech.dir,
            "messages": dict(speech.script_texts),
            "actions": _PAGE_ACTIONS,
        }

    def static(self, name: str) -> Response:
        body, etag = served(name)
        return Response(
            200,
            body,
            (
                ("Content-Type", STATIC_FILES[name]),
                ("Cache-Control", "public, max-age=300"),
                ("ETag", f'"{etag}"'),
                ("X-Content-Type-Options", "nosniff"),
            ),
        )


def _method_not_allowed(route: str) -> Response:
    """405, with the `Allow` header RFC 9110 requires: the methods the route does take."""
    error = BillflowError("This route does not take that method.", code="method_not_allowed")
    response = error_response(error)
    methods = ["POST"] if route.startswith("/api/actions/") else sorted(ROUTES[route])
    return Response(405, response.body, (*response.headers, ("Allow", ", ".join(methods))))


def _state(api: PortalAPI, request: Request, proven: Visitor | None, _: str) -> Response:
    visitor, portal = api.caller(request, proven)
    state = portal.state(visitor)
    catalog = portal.catalog.get()  # warm after the state read: no Stripe request
    return json_response(
        {
            "billingData": state_json(state, catalog),
            "productData": products_json(catalog),
            "currentConfig": portal.settings.for_page(),
            "stripe": {
                "publishable_key": portal.stripe_publishable_key,
                "js_url": portal.stripe_js_url,
            },
            **api.page(api.speech(request), state, portal),
        }
    )


def _act(api: PortalAPI, request: Request, proven: Visitor | None, action: str) -> Response:
    _require_json(request)
    visitor, portal = api.caller(request, proven)
    result = portal.act(
        visitor, action, _json_object(request), idempotency_key=request.header("Idempotency-Key")
    )
    confirmation = result.confirmation
    speech = api.speech(request)
    return json_response(
        {
            "action": result.action,
            "done": api.renderer.done(
                result.action, result.state, _subscription_of(result), speech
            ),
            "response": result.response,
            "billingData": state_json(result.state, portal.catalog.get()),
            "confirmation": None
            if confirmation is None
            else {"kind": confirmation.kind, "client_secret": confirmation.client_secret},
            **api.page(speech, result.state, portal),
        }
    )


def _subscription_of(result: ActionResult) -> str | None:
    """The subscription an action changed or made, as its answer names it."""
    response = result.response
    if not isinstance(response, Mapping):
        return None
    if response.get("object") == "subscription":
        return response.get("id")
    subscription = response.get("subscription")
    return subscription if isinstance(subscription, str) else None


def _preview(api: PortalAPI, request: Request, proven: Visitor | None, _: str) -> Response:
    _require_json(request)
    visitor, portal = api.caller(request, proven)
    preview = portal.preview(visitor, _json_object(request))
    speech = api.speech(request)
    html = api.renderer.preview(preview, portal.catalog.get(), speech)
    return json_response({**preview_json(preview), "html": html, "language": speech.language})


def _invoices(api: PortalAPI, request: Request, proven: Visitor | None, _: str) -> Response:
    visitor, portal = api.caller(request, proven)
    page = portal.invoices(
        visitor,
        subscription=request.param("subscription") or None,
        starting_after=request.param("starting_after") or None,
    )
    speech = api.speech(request)
    html = api.renderer.invoices(page, speech, portal.catalog.get())
    return json_response({**invoices_json(page), "html": html, "language": speech.language})


def _cards(api: PortalAPI, request: Request, proven: Visitor | None, _: str) -> Response:
    visitor, portal = api.caller(request, proven)
    cards = portal.cards(visitor)
    speech = api.speech(request)
    html = api.renderer.cards(cards, speech, settings=portal.settings)
    return json_response({**cards_json(cards), "html": html, "language": speech.language})


def _tax_ids(api: PortalAPI, request: Request, proven: Visitor | None, _: str) -> Response:
    visitor, portal = api.caller(request, proven)
    found = portal.tax_ids(visitor)
    speech = api.speech(request)
    html = api.renderer.tax_ids(found, speech)
    return json_response({**tax_ids_json(found), "html": html, "language": speech.language})


def _sign_in_form(api: PortalAPI, request: Request, _: Visitor | None, __: str) -> Response:
    """The email form, for a page that cannot name its visitor."""
    _sign_in_on(api)
    speech = api.speech(request)
    return json_response(
        {
            "html": api.renderer.sign_in(speech),
            "language": speech.language,
            "dir": speech.dir,
            "messages": dict(speech.script_texts),
            "actions": _PAGE_ACTIONS,
        }
    )


def _login_link(api: PortalAPI, request: Request, _: Visitor | None, __: str) -> Response:
    """202 with one body whether or not the email is a customer's: the answer never says."""
    _sign_in_on(api)
    body = _sign_in_body(request, "email")
    speech = api.speech(request)
    settings = api.portal.settings

    def compose(email: str, link: str, expires_at: int) -> EmailMessage:
        minutes = max(1, (settings.sign_in_link_lifetime + 59) // 60)
        subject, text, html = api.renderer.sign_in_email(speech, link, minutes=minutes)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = formataddr(
            (settings.company_name or "", settings.sign_in_from_address or "")
        )
        message["To"] = Address(addr_spec=email)  # one mailbox, or no message at all
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    api.portal.sign_in.request_link(body.get("email"), request.client_address, compose)
    return json_response({"sent": True}, 202)


def _session(api: PortalAPI, request: Request, _: Visitor | None, __: str) -> Response:
    """The link's token for a session the page keeps and sends as `X-Billflow-Session`."""
    _sign_in_on(api)
    body = _sign_in_body(request, "token")
    signed_in = api.portal.sign_in.exchange(body.get("token"), binding=api.session_binding(request))
    return json_response(
        {"session": signed_in.session, "email": signed_in.email, "expires_at": signed_in.expires_at}
    )


def _sign_out(api: PortalAPI, request: Request, _: Visitor | None, __: str) -> Response:
    _sign_in_on(api)
    api.portal.sign_in.end(
        request.header("X-Billflow-Session"), binding=api.session_binding(request)
    )
    return json_response({"signed_out": True})


def _sign_in_body(request: Request, field: str) -> dict[str, Any]:
    """A sign-in route's JSON body: an object with `field` and nothing else."""
    _require_json(request)
    body = _json_object(request)
    unknown = sorted(set(body) - {field}, key=str)
    if unknown:
        raise BadInput(f"Unknown field {unknown[0]!r}.", code="unknown_field", field=unknown[0])
    return body


def _sign_in_on(api: PortalAPI) -> None:
    if not api.portal.settings.email_sign_in:
        raise Forbidden("This site does not offer email sign-in.", code="feature_disabled")


def _webhook(api: PortalAPI, request: Request, _: Visitor | None, __: str) -> Response:
    outcome = api.portal.handle_webhook(request.body, request.header("Stripe-Signature"))
    return json_response({"received": True, "outcome": outcome})


def _openapi(api: PortalAPI, _: Request, __: Visitor | None, ___: str) -> Response:
    return json_response(openapi_document(api.prefix), headers=(("Cache-Control", "no-cache"),))


def _static(api: PortalAPI, _: Request, __: Visitor | None, route: str) -> Response:
    return api.static(route.rsplit("/", 1)[1])


def _require_json(request: Request) -> None:
    """Actions take JSON only: a cross-site form cannot send it, nor the identity headers."""
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise BadInput("Send the request body as application/json.", code="content_type_invalid")


def _json_object(request: Request) -> dict[str, Any]:
    """The body of an action or a preview: a JSON object, or nothing (taken as `{}`). A
    JSON `null` is not one, though the core takes None for "no payload"."""
    payload = request.json()
    if not isinstance(payload, dict):
        raise BadInput("The request body must be a JSON object.", code="body_invalid")
    return payload


ROUTES: dict[str, dict[str, Any]] = {
    "/api/portal": {"GET": _state},
    "/api/preview": {"POST": _preview},
    "/api/invoices": {"GET": _invoices},
    "/api/payment-methods": {"GET": _cards},
    "/api/tax-ids": {"GET": _tax_ids},
    "/api/sign-in": {"GET": _sign_in_form},
    "/api/login-link": {"POST": _login_link},
    "/api/session": {"POST": _session, "DELETE": _sign_out},
    "/stripe/webhook": {"POST": _webhook},
    "/api/openapi.json": {"GET": _openapi},
    **{f"/{name}": {"GET": _static} for name in STATIC_FILES},
}
