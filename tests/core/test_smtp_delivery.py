"""`SMTPMailer` against a real SMTP server on loopback that behaves as a mail provider's relay:
it offers STARTTLS with a certificate made here (cryptography), takes no mail before it, and
requires AUTH. The mail arrives only when the mailer upgrades the connection, checks the
certificate and logs in; leaving out any step is refused."""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from billflow_core.errors import SettingsError
from billflow_core.mail import SMTPMailer
from billflow_sandbox.mailbox import Mailbox

USER, PASSWORD = "portal@example.com", "relay-password-0123"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own authority), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Billflow test relay")])
    now = dt.datetime.now(dt.UTC)
    made = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("relay")
    cert, secret = folder / "relay.pem", folder / "relay.key"
    cert.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    secret.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, secret


@pytest.fixture
def relay(certificate: tuple[Path, Path]) -> Iterator[Mailbox]:
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(*certificate)
    with Mailbox(tls_context=server_side, logins={USER: PASSWORD}) as mailbox:
        yield mailbox


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = USER, "ada@example.com", "Sign in"
    message.set_content("Your link: https://example.com/billing?billflow_token=…")
    return message


def _mailer(relay: Mailbox, ca_file: Path, **changes: object) -> SMTPMailer:
    config = {
        "BILLFLOW_SMTP_HOST": relay.host,
        "BILLFLOW_SMTP_PORT": str(relay.port),
        "BILLFLOW_SMTP_USERNAME": USER,
        "BILLFLOW_SMTP_PASSWORD": PASSWORD,
        "BILLFLOW_SMTP_STARTTLS": "true",
        "BILLFLOW_SMTP_CA_FILE": str(ca_file),
        **changes,
    }
    mailer = SMTPMailer.from_config(config)
    assert mailer is not None
    return mailer


def test_mail_goes_over_starttls_with_a_login(
    relay: Mailbox, certificate: tuple[Path, Path]
) -> None:
    _mailer(relay, certificate[0]).send(_message())

    (mail,) = relay.wait_for("ada@example.com")
    assert mail.subject == "Sign in"
    assert relay.logins_used == [USER]


def test_without_starttls_the_relay_takes_nothing(
    relay: Mailbox, certificate: tuple[Path, Path]
) -> None:
    with pytest.raises(smtplib.SMTPException):
        _mailer(relay, certificate[0], BILLFLOW_SMTP_STARTTLS="",
                BILLFLOW_SMTP_CA_FILE="").send(_message())  # fmt: skip
    assert relay.messages == [] and relay.logins_used == []


def test_without_a_login_the_relay_takes_nothing(
    relay: Mailbox, certificate: tuple[Path, Path]
) -> None:
    with pytest.raises(smtplib.SMTPException):
        _mailer(relay, certificate[0], BILLFLOW_SMTP_USERNAME="").send(_message())
    with pytest.raises(smtplib.SMTPAuthenticationError):
        _mailer(relay, certificate[0], BILLFLOW_SMTP_PASSWORD="wrong").send(_message())
    assert relay.messages == []


def test_a_certificate_the_mailer_does_not_trust_is_refused(
    relay: Mailbox, certificate: tuple[Path, Path]
) -> None:
    """Without the relay's authority, the system's trusted ones do not vouch for it: the
    connection ends before the password is sent."""
    with pytest.raises(ssl.SSLCertVerificationError):
        _mailer(relay, certificate[0], BILLFLOW_SMTP_CA_FILE="").send(_message())
    assert relay.messages == [] and relay.logins_used == []


@pytest.mark.parametrize("starttls", ["true", ""])
def test_an_unreadable_ca_file_or_one_without_starttls_is_a_settings_error(
    tmp_path: Path, certificate: tuple[Path, Path], starttls: str
) -> None:
    """A CA file is for checking STARTTLS: without it the password would go unencrypted."""
    ca_file = tmp_path / "missing.pem" if starttls else certificate[0]
    with pytest.raises(SettingsError) as refused:
        SMTPMailer.from_config(
            {"BILLFLOW_SMTP_HOST": "mail.example.com", "BILLFLOW_SMTP_STARTTLS": starttls,
             "BILLFLOW_SMTP_CA_FILE": str(ca_file)}
        )  # fmt: skip
    assert refused.value.param == "BILLFLOW_SMTP_CA_FILE"
