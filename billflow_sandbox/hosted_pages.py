"""What the sandbox serves besides the API: the Stripe.js stand-in, hosted invoice pages and
invoice PDFs, so the links in invoices work offline."""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import TYPE_CHECKING

from .api import Response
from .engine.prices import is_zero_decimal

if TYPE_CHECKING:
    from .state import State

_INVOICE = re.compile(r"^/invoices/(?P<id>in_[A-Za-z0-9]+)(?P<pdf>/pdf)?$")


def page_for(state: State, method: str, path: str) -> Response:
    """Answer a non-API GET from the sandbox whose objects are `state`: the Stripe.js
    stand-in or an invoice's page or PDF."""
    if method != "GET":
        return Response(405, b"Method not allowed", {"Content-Type": "text/plain"})
    if path in ("/v3", "/v3/", "/v3/stripe.js", "/stripe.js"):
        script = resources.files("billflow_sandbox").joinpath("static/stripe.js").read_bytes()
        return Response(
            200,
            script,
            {"Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-cache"},
        )
    found = _INVOICE.match(path)
    if found:
        with state.lock:
            invoice = state.find("invoice", found["id"])
            invoice = dict(invoice) if invoice else None
        if invoice is None:
            return Response(404, b"No such invoice", {"Content-Type": "text/plain"})
        name = invoice["number"] or invoice["id"]
        if found["pdf"]:
            return Response(
                200,
                invoice_pdf(invoice),
                {
                    "Content-Type": "application/pdf",
                    "Content-Disposition": f'inline; filename="{name}.pdf"',
                },
            )
        return Response(
            200, invoice_html(invoice).encode(), {"Content-Type": "text/html; charset=utf-8"}
        )
    if path == "/":
        return Response(
            200,
            b"Billflow Stripe sandbox. The API is under /v1/.",
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    return Response(404, b"Not found", {"Content-Type": "text/plain"})


def _amount(minor: int, currency: str) -> str:
    """An amount in minor units as the page shows it: 1500 is 15.00 USD but 1,500 JPY (a
    zero-decimal currency has no unit below its major one)."""
    figure = f"{minor:,}" if is_zero_decimal(currency) else f"{minor / 100:,.2f}"
    return f"{figure} {currency.upper()}"


def invoice_html(invoice: dict[str, object]) -> str:
    lines = invoice["lines"]["data"]  # type: ignore[index]
    rows = "".join(
        f"<tr><td>{html.escape(line['description'] or '')}</td>"
        f"<td>{line['quantity']}</td><td>{_amount(line['amount'], line['currency'])}</td></tr>"
        for line in lines
    )
    title = html.escape(str(invoice["number"] or invoice["id"]))
    currency = str(invoice["currency"])
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Invoice {title}"
        f"</title></head><body><main><h1>Invoice {title}</h1>"
        f"<p>Status: <strong>{html.escape(str(invoice['status']))}</strong></p>"
        f"<table><thead><tr><th>Description</th><th>Qty</th><th>Amount</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<p>Total: {_amount(int(invoice['total']), currency)}</p>"  # type: ignore[call-overload]
        f"<p>Amount due: {_amount(int(invoice['amount_due']), currency)}</p>"  # type: ignore[call-overload]
        f"<p><a href='{html.escape(str(invoice['invoice_pdf']))}'>Download PDF</a></p>"
        "</main></body></html>"
    )


def invoice_pdf(invoice: dict[str, object]) -> bytes:
    """A one-page PDF with the invoice's number, lines and total (no dependencies)."""
    currency = str(invoice["currency"])
    text = [f"Invoice {invoice['number'] or invoice['id']}", f"Status: {invoice['status']}", ""]
    for line in invoice["lines"]["data"]:  # type: ignore[index]
        text.append(f"{line['description']}  {_amount(line['amount'], currency)}")
    text += ["", f"Total: {_amount(int(invoice['total']), currency)}"]  # type: ignore[call-overload]

    def escape(value: str) -> str:
        safe = value.encode("latin-1", "replace").decode("latin-1")
        return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 12 Tf", "14 TL", "50 780 Td"]
    ops += [f"({escape(row)}) Tj T*" for row in text]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
