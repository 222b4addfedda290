"""The admin page's routes, all under `/admin` (`create_app` registers them only when the
bridge has an admin key: without one, each is 404):

    GET  /admin/                              the page (the sign-in form until signed in)
         ?status=pending|delivered|failed&before=<delivery id>
    POST /admin/sign-in      key
    POST /admin/sign-out
    POST /admin/language     language
    POST /admin/deliveries/<id>/retry
    POST /admin/receivers/<ref>/enable
    POST /admin/receivers/<ref>/sample        event

Every POST checks the form's CSRF token first, then answers with a redirect back to the
page (303), which says what was done; nothing is done twice by reloading it.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape

from .._state import BridgeState, bridge_state
from ..delivery import GONE
from ..delivery_log import STATUSES, delivery_page
from ..samples import sample
from .access import FormRefused, check_form, csrf_token, sign_in, sign_out, signed_in
from .overview import Receiver, receivers, shown_url
from .texts import LANGUAGES, AdminTexts, choose_language, language_name

__all__ = ["blueprint"]

blueprint = Blueprint(
    "billflow_bridge_admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

_PAGE = 25  # deliveries a page
# The page loads its own stylesheet and nothing else; no site may frame it.
_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'none'")  # fmt: skip


@blueprint.app_template_filter("breakable")
def _breakable(event_type: str) -> Markup:
    """An event type that may wrap after each dot (`stripe.invoice.payment_failed`)."""
    return Markup(".<wbr>").join(escape(part) for part in event_type.split("."))


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "billflow_bridge_admin.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(FormRefused)
def _form_refused(error: FormRefused) -> tuple[str, int]:
    return _render("refused.html", signed_in=signed_in(bridge_state())), 400


# -- the page ---------------------------------------------------------------------------
@blueprint.get("/")
def page() -> Response | tuple[str, int]:
    state = bridge_state()
    if not signed_in(state):
        return _sign_in_page(notice=_take_notice())
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    before = request.args.get("before", "")
    # A delivery id: digits that fit the column (anything else is the first page).
    fits = before.isascii() and before.isdigit() and len(before) <= 18
    starting_after = int(before) if fits else None
    found = receivers(state)
    by_url = {receiver.url: receiver for receiver in found}
    deliveries = delivery_page(state.engine, status=status, limit=_PAGE,
                               starting_after=starting_after)  # fmt: skip
    rows = [_delivery_row(row, by_url, state.clock()) for row in deliveries["data"]]
    older = rows[-1]["id"] if deliveries["has_more"] and rows else None
    return Response(
        _render(
            "admin.html",
            signed_in=True,
            notice=_take_notice(),
            targets=[r for r in found if r.kind == "target"],
            hooks=[r for r in found if r.kind == "hook"],
            deliveries=rows,
            status=status,
            statuses=STATUSES,
            older=older,
            paged=starting_after is not None,
            now=state.clock(),
            disable_days=f"{state.config.disable_after / 86400:g}",
            reason=_reason,
            shown_url=shown_url,
        )
    )


def _sign_in_page(*, notice: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    return _render("sign_in.html", signed_in=False, notice=notice), status


def _render(template: str, **context: Any) -> str:
    language = choose_language(session.get("language"), request.headers.get("Accept-Language", ""))
    texts = AdminTexts(language)
    return render_template(
        f"billflow_bridge/{template}",
        t=texts.t,
        when=texts.when,
        until=texts.until,
        language=texts.language,
        direction=texts.direction,
        languages=[(code, language_name(code)) for code in LANGUAGES],
        csrf_token=csrf_token,
        **context,
    )


def _delivery_row(row: dict[str, Any], by_url: dict[str, Receiver], now: float) -> dict[str, Any]:
    receiver = by_url.get(row["target"])
    held = row["status"] == "pending" and row["target_state"]["disabled_at"] is not None
    waiting = row["status"] == "pending" and (row["next_attempt_at"] or 0) > now + 1
    return {
        **row,
        "shown_status": "held" if held else row["status"],
        "target_label": receiver.label if receiver else shown_url(row["target"]),
        "sample": str(row["event_id"]).startswith("evt_sample_"),
        # Retrying one that is due now, or held by its switched-off target, would do nothing.
        "retryable": (row["status"] == "failed" or waiting) and not held,
    }


def _reason(receiver: Receiver, t: Any, days: str) -> str:
    """Why a receiver was switched off, in the reader's language where the bridge knows it."""
    if receiver.disabled_reason == GONE:
        return str(t("reason.gone"))
    if (receiver.disabled_reason or "").startswith("failing since"):
        return str(t("reason.failing", days=days))
    return receiver.disabled_reason or ""


# -- signing in and out -------------------------------------------------------------------
@blueprint.post("/sign-in")
def sign_in_form() -> Response | tuple[str, int]:
    check_form(request)
    state = bridge_state()
    refused = sign_in(state, request.form.get("key", ""))
    if refused is not None:
        return _sign_in_page(notice={"kind": "error", "key": refused, "fields": {}},
                             status=429 if refused.endswith("rate_limited") else 401)  # fmt: skip
    return _back()


@blueprint.post("/sign-out")
def sign_out_form() -> Response:
    check_form(request)
    sign_out(bridge_state())
    return _back("ok", "notice.signed_out")


@blueprint.post("/language")
def choose_language_form() -> Response:
    check_form(request)
    chosen = request.form.get("language")
    if chosen in LANGUAGES:
        session["language"] = chosen
    return _back()


# -- what the admin may do ----------------------------------------------------------------
def _admin() -> BridgeState:
    """The bridge, once the form is this page's and its session is signed in."""
    check_form(request)
    state = bridge_state()
    if not signed_in(state):
        raise _NotSignedIn()
    return state


class _NotSignedIn(Exception):
    pass


@blueprint.errorhandler(_NotSignedIn)
def _not_signed_in(error: _NotSignedIn) -> tuple[str, int]:
    return _sign_in_page(notice={"kind": "error", "key": "sign_in.ended", "fields": {}},
                         status=401)  # fmt: skip


@blueprint.post("/deliveries/<int:delivery_id>/retry")
def retry_form(delivery_id: int) -> Response:
    state = _admin()
    if not state.deliverer.retry_now(delivery_id):
        return _back("error", "notice.retry_refused", id=delivery_id)
    state.wake()
    return _back("ok", "notice.retried", id=delivery_id)


@blueprint.post("/receivers/<ref>/enable")
def enable_form(ref: str) -> Response:
    state, receiver = _admin_and(ref)
    state.deliverer.switch_on(receiver.url)
    state.wake()
    return _back("ok", "notice.enabled", target=receiver.label)


@blueprint.post("/receivers/<ref>/sample")
def sample_form(ref: str) -> Response:
    state, receiver = _admin_and(ref)
    event = request.form.get("event", "")
    if event not in receiver.sample_events:
        return _back("error", "notice.sample_refused", target=receiver.label, event=event[:100])
    payload = {**sample(event), "timestamp": int(state.clock())}
    state.outbox.add(f"evt_sample_{secrets.token_hex(12)}", event, payload, to=[receiver.url])
    state.wake()
    return _back("ok", "notice.sample_sent", target=receiver.label, event=event)


def _admin_and(ref: str) -> tuple[BridgeState, Receiver]:
    """The bridge, as `_admin` gives it, and the target or hook the form names."""
    state = _admin()
    receiver = next((r for r in receivers(state) if r.ref == ref), None)
    if receiver is None:
        raise _Gone()
    return state, receiver


class _Gone(Exception):
    """The form names a target or hook that is no longer configured or subscribed."""


@blueprint.errorhandler(_Gone)
def _gone(error: _Gone) -> Response:
    return _back("error", "notice.unknown_target")


# -- after a form ---------------------------------------------------------------------------
def _back(kind: str | None = None, key: str | None = None, **fields: object) -> Response:
    """To the page, with what was done to say there once; the list it was posted from
    (`status`) is kept."""
    if key is not None:
        session["notice"] = {"kind": kind, "key": key, "fields": fields}
    status = request.form.get("status")
    target = url_for(".page", status=status) if status in STATUSES else url_for(".page")
    return redirect(target, code=303)  # type: ignore[return-value]


def _take_notice() -> dict[str, Any] | None:
    notice = session.pop("notice", None)
    return notice if isinstance(notice, dict) else None
