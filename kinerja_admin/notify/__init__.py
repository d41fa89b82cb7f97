"""Notifications (issue 18): in the app (the bell, /admin/notifikasi/) and by e-mail through a real
SMTP server configured by the environment (KINERJA_SMTP_*; nothing is sent without it).

    workflow function (plan, score, objection, rating, periodic, feedback)
        -> events.py: one INSERT ... SELECT of notification rows in the workflow's own transaction
           (recipients, Indonesian text, preferences and e-mail state decided in SQL; a unique key per
           event and recipient: each notification at most once)
        -> after the commit: the e-mail task is queued on the background-job queue (jobs/queue.py)
        -> sender.py: claims the pending rows (one UPDATE), sends them (mail.py, smtplib), marks them
           sent or failed; a digest user's rows wait for the daily digest
    reminders.py: deadline reminders N days before a stage ends (setting notify.deadline_days), one
    set-based statement for a whole period, run daily by the worker or `flask kinerja notify reminders`.

Users choose per kind of notification (EVENTS) whether they want it by e-mail, only in the app, or not
at all, and whether e-mail comes at once or as a daily digest (inbox.py, /admin/notifikasi/pengaturan).
"""
from __future__ import annotations

# every kind of notification, with the name users choose by
EVENTS = {
    "skp.diajukan": "SKP bawahan diajukan dan menunggu persetujuan Anda",
    "skp.disetujui": "SKP Anda disetujui",
    "skp.dikembalikan": "SKP Anda dikembalikan untuk diperbaiki",
    "skp.dibuka": "SKP Anda dibuka untuk perubahan",
    "skp.realisasi": "SKP bawahan siap dinilai",
    "penilaian.diminta": "Permintaan penilaian perilaku (360 derajat)",
    "hasil.diumumkan": "Hasil penilaian Anda diumumkan",
    "keberatan.diajukan": "Keberatan menunggu putusan Anda",
    "keberatan.diputus": "Keberatan Anda telah diputus",
    "periodik.realisasi": "Realisasi periodik bawahan tercatat",
    "periodik.dinilai": "Umpan balik periodik dari pejabat penilai",
    "umpan_balik.pesan": "Pesan baru pada percakapan umpan balik",
    "bimbingan.catatan": "Catatan bimbingan/konseling dari pejabat penilai",
    "tenggat.perencanaan": "Pengingat batas waktu perencanaan SKP",
    "tenggat.realisasi_periodik": "Pengingat batas waktu realisasi periodik",
    "tenggat.penilaian_periodik": "Pengingat batas waktu penilaian periodik",
    "tenggat.realisasi": "Pengingat batas waktu realisasi tahunan",
    "tenggat.penilaian": "Pengingat batas waktu penilaian SKP",
}

MAIL_KEY = "kinerja.notify.mail"


def init_app(app) -> None:
    """The navigation bar's bell and Tugas Saya counts (each read once per request)."""
    from flask_login import current_user

    from kinerja_admin import worklist

    from . import inbox

    app.jinja_env.globals["unread_notifications"] = lambda: inbox.cached_unread(current_user)
    app.jinja_env.globals["task_counts"] = lambda: worklist.cached_counts(current_user)
    install()
_INSTALLED = False


def install() -> None:
    """After a commit that created e-mail notifications, queue the sending task (never before: a
    rolled-back transaction sends nothing)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def after_commit(session):
        if session.info.pop(MAIL_KEY, False):
            from .tasks import queue_send

            queue_send()

    def after_rollback(session, *args):
        session.info.pop(MAIL_KEY, None)

    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_soft_rollback", after_rollback)
    _INSTALLED = True
