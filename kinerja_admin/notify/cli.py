"""`flask kinerja notify reminders|digest|send` and `flask kinerja periodic windows PERIOD`."""
from __future__ import annotations

import datetime as dt

import click

from kinerja_admin.cliutil import fail as _fail

notify_group = click.Group("notify", help="Pemberitahuan: pengingat batas waktu, ringkasan dan pengiriman surel.")
periodic_group = click.Group("periodic", help="Evaluasi periodik: jendela evaluasi sebuah periode.")


@notify_group.command("reminders")
@click.option("--date", "day", default=None, help="Tanggal (YYYY-MM-DD); bawaan: hari ini di zona instansi.")
def reminders_cmd(day):
    """Buat pengingat batas waktu yang jatuh tempo (masing-masing sekali per pengguna) lalu kirim surelnya."""
    from flask import current_app

    from models import db

    from . import reminders, sender

    when = dt.date.fromisoformat(day) if day else None
    created = reminders.generate(db.session, when)
    db.session.commit()
    sent = sender.send_pending(db.session, current_app)
    click.echo(f"{created} pengingat baru; surel terkirim {sent['sent']}, gagal {sent['failed']}.")


@notify_group.command("digest")
def digest_cmd():
    """Kirim ringkasan harian kepada pengguna yang memilihnya."""
    from flask import current_app

    from models import db

    from . import sender

    out = sender.send_digests(db.session, current_app)
    click.echo(f"Ringkasan terkirim kepada {out['users']} pengguna ({out['sent']} pemberitahuan).")


@notify_group.command("send")
def send_cmd():
    """Kirim surel pemberitahuan yang menunggu."""
    from flask import current_app

    from models import db

    from . import sender

    out = sender.send_pending(db.session, current_app)
    click.echo(f"Surel terkirim {out['sent']}, gagal {out['failed']}, menunggu ulang {out['retry']}.")


@periodic_group.command("windows")
@click.argument("period_code")
@click.option("--frequency", type=click.Choice(["bulanan", "triwulanan", "semesteran"]), default="triwulanan",
              show_default=True)
def windows_cmd(period_code, frequency):
    """Buat (ulang) jendela evaluasi periodik sebuah periode."""
    from kinerja_admin.periodic import windows
    from kinerja_admin.workflow import WorkflowError
    from models import Period, db

    period = db.session.scalar(db.select(Period).where(Period.code == period_code))
    if period is None:
        _fail(f"Periode {period_code} tidak ditemukan.")
    try:
        rows = windows.generate(db.session, period, frequency)
        db.session.commit()
    except WorkflowError as err:
        db.session.rollback()
        _fail(str(err))
    click.echo(f"{len(rows)} jendela evaluasi dibuat untuk periode {period.code}.")


def register(group: click.Group) -> None:
    group.add_command(notify_group)
    group.add_command(periodic_group)
