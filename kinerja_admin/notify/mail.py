"""E-mail through a real SMTP server: a small adapter over the standard library's smtplib, configured
by the environment (config.py: KINERJA_SMTP_HOST, _PORT, _USER, _PASSWORD, _SECURITY, _TIMEOUT,
KINERJA_MAIL_FROM). Without KINERJA_SMTP_HOST nothing is sent (and nothing is queued for sending)."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def configured(app=None) -> bool:
    from flask import current_app

    app = app or current_app
    return bool((app.config.get("KINERJA_SMTP_HOST") or "").strip())


class Mailer:
    """One SMTP connection for a batch of messages: ``with Mailer(app) as m: m.send(to, subject, text)``."""

    def __init__(self, app):
        cfg = app.config
        self.host = cfg["KINERJA_SMTP_HOST"].strip()
        self.port = int(cfg.get("KINERJA_SMTP_PORT") or 587)
        self.user = cfg.get("KINERJA_SMTP_USER") or ""
        self.password = cfg.get("KINERJA_SMTP_PASSWORD") or ""
        self.security = (cfg.get("KINERJA_SMTP_SECURITY") or "starttls").strip().lower()
        self.timeout = int(cfg.get("KINERJA_SMTP_TIMEOUT") or 20)
        self.sender = cfg.get("KINERJA_MAIL_FROM") or "e-kinerja@localhost"
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        if self.security == "ssl":
            self.smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                         context=ssl.create_default_context())
        else:
            self.smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                self.smtp.starttls(context=ssl.create_default_context())
        if self.user:
            self.smtp.login(self.user, self.password)
        return self

    def __exit__(self, *exc):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
        return False

    def send(self, to: str, subject: str, text: str) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or "localhost")
        msg["Content-Language"] = "id"
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(text, charset="utf-8")
        self.smtp.send_message(msg)
