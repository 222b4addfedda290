from __future__ import annotations

from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from billflow_wagtail.blocks import BillingPortalBlock


class ContentPage(Page):
    body = StreamField(
        [
            ("heading", blocks.CharBlock()),
            ("paragraph", blocks.RichTextBlock()),
            ("billing_portal", BillingPortalBlock()),  # BILLFLOW: editors add it to any page
        ],
        blank=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
