"""Mail rendering (core.mail.rendering), the recipient's language, SMTP_URL parsing and the message's shape."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from core.mail import transport
from core.mail.rendering import LANGUAGES, kinds, mail_language, render

CONTEXT = {"recipient": "erika@example.test", "name": "", "requested_by": "Ann <admin>", "tenant_name": "Nord & Süd"}

# the values of core.community.links.send_link and core.community.statements._mail_context
COMMUNITY_CONTEXT = {
    "community_name": "Mieter <Hof>", "operator_name": "Nord & Süd", "link_url": "https://csms.example/driver/link/x",
    "valid_days": 7, "valid_minutes": 30, "period": "2026-11", "number": "CS-1-202611-2", "currency": "EUR",
    "session_count": 2, "energy": "30,00", "net": "9,00", "vat": "1,71", "gross": "10,71",
    "vat_lines": [{"rate": "19.00", "vat": "1,71"}], "page_url": "https://csms.example/driver",
}  # fmt: skip


def context_of(kind: str, language: str) -> dict[str, object]:
    """Every value the kind's templates use (the receipt's from a receipt assembled in tests/unit/test_receipts)."""
    if kind == "receipt":
        from core.payments.receipts import assemble, mail_context
        from tests.unit.test_receipts import LOCATION, cdr, payment

        return mail_context(assemble(payment(), cdr(), LOCATION, None), language)
    if kind.startswith("community_"):
        return {**CONTEXT, **COMMUNITY_CONTEXT}
    if kind.startswith("support360_"):
        from tests.unit.test_support360_mail import ASSIGNMENT, STATION, TENANT, mail_context

        return {**CONTEXT, **mail_context(STATION, TENANT, ASSIGNMENT, "https://csms.example")}
    if kind == "staff_invitation":  # core.resellers.sub_cpos._invite
        return {**CONTEXT, "reseller_name": "Partner <Süd>", "link_url": "https://csms.example/invitation/x",
                "valid_days": 7}  # fmt: skip
    if kind == "alerts":
        return {**CONTEXT, **alerts_context()}
    return CONTEXT


def alerts_context() -> dict[str, object]:
    """core.alerts.notify's context of a mail with one problem and one recovery."""
    from datetime import UTC, datetime

    from core.alerts.notify import _context
    from core.alerts.rules import PlannedMail

    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    alert = {"id": 1, "case": "FUSE_TRIPPED", "code": "OverCurrentFailure", "station_name": "Hof <1>",
             "charge_box_id": "CB-1", "evse_id": "DE*ISE*E1*1", "location_name": "Depot", "city": "Köln",
             "opened_at": at, "closed_at": at}  # fmt: skip
    mail = PlannedMail("ops@example.test", "de", problems=[alert], recoveries=[{**alert, "id": 2}])
    return _context({"name": "Nord & Süd", "legal_name": "", "country_code": "DE"}, mail)


@pytest.mark.parametrize("kind", kinds())
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_has_a_subject_text_and_html_in_every_language(kind: str, language: str) -> None:
    mail = render(kind, language, context_of(kind, language))
    assert mail.subject and "\n" not in mail.subject
    assert mail.text.strip() and f'<html lang="{language}">' in mail.html


def test_the_staff_invitation_names_the_reseller_and_the_link() -> None:
    mail = render("staff_invitation", "de", context_of("staff_invitation", "de"))
    assert mail.subject == "Ihr Zugang zu csms für Nord & Süd"
    assert "Partner <Süd> hat Nord & Süd in csms" in mail.text and "https://csms.example/invitation/x" in mail.text
    assert "Partner &lt;Süd&gt;" in mail.html and "7 Tage" in mail.html


def test_the_language_decides_the_words() -> None:
    german, english = render("test", "de", CONTEXT), render("test", "en", CONTEXT)
    assert german.subject == "Testnachricht von csms für Nord & Süd"
    assert english.subject == "Test message from csms for Nord & Süd"
    assert german.text.startswith("Hallo erika@example.test,") and english.text.startswith("Hello erika@example.test,")


def test_html_is_escaped_and_text_is_not() -> None:
    mail = render("test", "en", CONTEXT)
    assert "Ann &lt;admin&gt;" in mail.html and "Nord &amp; Süd" in mail.html and "<admin>" not in mail.html
    assert "Ann <admin> asked" in mail.text


def test_a_subject_is_one_line_whatever_the_values() -> None:
    mail = render("test", "de", {**CONTEXT, "tenant_name": "Nord\r\nBcc: victim@example.test"})
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert mail.subject.endswith("Nord Bcc: victim@example.test")


def test_a_missing_value_is_an_error_not_an_empty_line() -> None:
    with pytest.raises(UndefinedError):
        render("test", "de", {"recipient": "a@b.example"})


@pytest.mark.parametrize("kind, language", [("../base", "de"), ("test", "fr"), ("Test", "de")])
def test_unknown_kinds_and_languages_are_refused(kind: str, language: str) -> None:
    with pytest.raises(ValueError):
        render(kind, language, CONTEXT)


@pytest.mark.parametrize(
    "candidates, expected",
    [(("en-GB",), "en"), (("", "de-AT"), "de"), ((None, "fr", "EN"), "en"), (("fr",), "de"), ((), "de")],
)
def test_mail_language_is_the_first_known_candidate(candidates: tuple[str | None, ...], expected: str) -> None:
    assert mail_language(*candidates) == expected


def test_mail_language_falls_back_to_the_default() -> None:
    assert mail_language("fr", default="en") == "en"
    assert mail_language("fr", default="fr") == "de"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.example.com", transport.SmtpConfig("mail.example.com", 25)),
        ("smtp://u%40x:p%2Fw@mail.example.com:587?starttls=1",
         transport.SmtpConfig("mail.example.com", 587, starttls=True, username="u@x", password="p/w")),
        ("smtps://user:secret@mail.example.com", transport.SmtpConfig("mail.example.com", 465, implicit_tls=True,
                                                                       username="user", password="secret")),
        ("smtps://mail.example.com:2465?starttls=1", transport.SmtpConfig("mail.example.com", 2465, implicit_tls=True)),
    ],
)  # fmt: skip
def test_smtp_url(url: str, expected: transport.SmtpConfig) -> None:
    assert transport.parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://host:notaport", "mail.example.com"])
def test_bad_smtp_urls_say_what_is_wrong(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        transport.parse_smtp_url(url)


def test_the_password_is_not_in_the_config_repr() -> None:
    assert "secret" not in repr(transport.parse_smtp_url("smtp://user:secret@host"))


def test_the_message_has_plain_text_then_html_and_the_headers() -> None:
    message = transport.build_message(
        sender="csms <noreply@cpo.example>", recipient="a@b.example", subject="Hallo", text="Text ü\n",
        html="<p>HTML ü</p>\n", message_id="<1@cpo.example>",
    )  # fmt: skip
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert message[header]
    assert message["Auto-Submitted"] == "auto-generated"
    assert transport.sender_address("csms <noreply@cpo.example>") == "noreply@cpo.example"


def test_an_alert_mail_names_the_case_in_its_language_and_the_station() -> None:
    german, english = render("alerts", "de", alerts_context()), render("alerts", "en", alerts_context())
    assert german.subject == "1 Störung, 1 behoben – Nord & Süd"
    assert "Sicherung ausgelöst (OverCurrentFailure): Hof <1>, DE*ISE*E1*1, Depot, Köln" in german.text
    assert "06.12.2026 09:00" in german.text  # local time of the tenant (Europe/Berlin)
    assert "Fuse tripped" in english.html and "Hof &lt;1&gt;" in english.html
