from __future__ import annotations

from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from billflow_wagtail.blocks import BillingPortalBlock


class ContentPage(Page):
    """A page editors fill with text and, where they like, the billing portal."""

    body = StreamField(
        [("paragraph", blocks.RichTextBlock()), ("billing_portal", BillingPortalBlock())],
        blank=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
    template = "testsite/content_page.html"
