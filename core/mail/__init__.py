"""E-mail: mails to drivers, invited users and a tenant's contacts, in German or English, sent by workers.

``queue_mail(...)`` renders a mail from the templates under core/mail/templates in the recipient's language and
stores it in the caller's transaction together with an outbox message (``mail.send``); a dedupe key keeps one
business event to one mail. The job ``mail.send`` hands it to the SMTP server of ``SMTP_URL`` outside any
transaction (core.mail.sending). Without ``SMTP_URL`` (the embedded default) a mail is kept as "not sent: no
SMTP configured" and the portal's e-mail outbox shows it. Callers call ``core.outbox.kick()`` after their commit.

Uses tenancy (tenants, users, the Actor and its permissions) and the shared kernel; every domain above it (payments'
receipts, access's community invitations, operations' confirmations) may queue mail. docs/mail.md for operators.
"""

from core.mail.mails import MailStatus, get_mail, list_mails, queue_mail, queue_test_mail
from core.mail.rendering import LANGUAGES, mail_language

__all__ = ["LANGUAGES", "MailStatus", "get_mail", "list_mails", "mail_language", "queue_mail", "queue_test_mail"]
