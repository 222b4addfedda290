"""Email sign-in's configuration: the SMTP settings are config the portal reads, not
options, and email sign-in without a way to send mail is refused at start."""

from __future__ import annotations

import pytest

from billflow_core.errors import SettingsError
from billflow_core.mail import SMTPMailer
from billflow_core.portal import Portal

CONFIG = {
    "BILLFLOW_SECRET_KEY": "config-test-secret-0123456789",
    "BILLFLOW_STRIPE_API_KEY": "sk_test_config",
    "BILLFLOW_EMAIL_SIGN_IN": "true",
    "BILLFLOW_COMPANY_NAME": "Acme",
    "BILLFLOW_SIGN_IN_FROM_ADDRESS": "billing@acme.example",
    "BILLFLOW_SIGN_IN_REDIRECT_URL": "https://acme.example/account",
}


def test_the_smtp_settings_make_the_mailer() -> None:
    portal = Portal.from_config(
        {**CONFIG, "BILLFLOW_SMTP_HOST": "mail.acme.example", "BILLFLOW_SMTP_PORT": "587",
         "BILLFLOW_SMTP_USERNAME": "portal", "BILLFLOW_SMTP_PASSWORD": "hunter2-but-longer",
         "BILLFLOW_SMTP_STARTTLS": "true", "BILLFLOW_SIGN_IN_LINK_LIFETIME": "600"}
    )  # fmt: skip
    mailer = portal.sign_in.mailer
    assert isinstance(mailer, SMTPMailer)
    assert (mailer.host, mailer.port, mailer.starttls) == ("mail.acme.example", 587, True)
    assert portal.settings.sign_in_link_lifetime == 600
    assert "hunter2" not in repr(vars(portal.settings))


def test_email_sign_in_without_a_mailer_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="BILLFLOW_SMTP_HOST"):
        Portal.from_config(CONFIG)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("BILLFLOW_SIGN_IN_FROM_ADDRESS", "needs sign_in_from_address"),
        ("BILLFLOW_SIGN_IN_REDIRECT_URL", "needs sign_in_redirect_url"),
    ],
)
def test_email_sign_in_needs_a_from_address_and_a_redirect_url(missing: str, message: str) -> None:
    config = {k: v for k, v in CONFIG.items() if k != missing}
    with pytest.raises(SettingsError, match=message):
        Portal.from_config({**config, "BILLFLOW_SMTP_HOST": "mail.acme.example"})


def test_a_bad_smtp_port_is_named() -> None:
    with pytest.raises(SettingsError, match="BILLFLOW_SMTP_PORT"):
        Portal.from_config({**CONFIG, "BILLFLOW_SMTP_HOST": "m", "BILLFLOW_SMTP_PORT": "smtp"})


@pytest.mark.parametrize(
    "url", ["https://acme.example/billing#portal", "https://acme.example/bill ing"]
)
def test_a_redirect_url_the_token_could_not_be_read_from_is_refused(url: str) -> None:
    with pytest.raises(SettingsError, match="no #fragment and no spaces"):
        Portal.from_config(
            {**CONFIG, "BILLFLOW_SIGN_IN_REDIRECT_URL": url, "BILLFLOW_SMTP_HOST": "mail.example"}
        )
