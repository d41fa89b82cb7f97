"""`flask kinerja period open|advance|close|reopen PERIOD` (thin: parse, call workflow, report)."""
from __future__ import annotations

import click

from kinerja_admin.cliutil import fail as _fail


@click.group("period")
def period_group():
    """Siklus periode penilaian: buka, lanjutkan, tutup, buka kembali."""


def _context(period_code: str, username: str):
    from models import Period, User, db

    period = db.session.scalar(db.select(Period).where(Period.code == period_code))
    if period is None:
        _fail(f"periode '{period_code}' tidak ditemukan.")
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        _fail(f"pengguna '{username}' tidak ditemukan.")
    return db.session, period, user


def _run(fn):
    from models import db

    from . import WorkflowError

    try:
        out = fn()
        db.session.commit()
        return out
    except WorkflowError as err:
        db.session.rollback()
        _fail(str(err))


_user_opt = click.option("--user", "username", default="admin", show_default=True,
                         help="Akun yang dicatat pada jejak audit (operator/admin).")


@period_group.command("open")
@click.argument("period_code")
@click.option("--unit", "unit_code", default=None, help="Hanya unit kerja ini beserta sub-unitnya (kode unit).")
@_user_opt
def open_cmd(period_code, unit_code, username):
    """Buka periode dan buat SKP untuk setiap pegawai aktif (aman diulang)."""
    from sqlalchemy import select

    from models import Unit

    from . import period as wf

    session, period, user = _context(period_code, username)
    unit_id = None
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            _fail(f"unit '{unit_code}' tidak ditemukan.")
        unit_id = unit.id
    n = _run(lambda: wf.open_period(session, user, period, unit_id=unit_id))
    click.echo(f"Periode {period.code}: {n} SKP dibuat; status {period.status}.")


@period_group.command("advance")
@click.argument("period_code")
@click.option("--force", is_flag=True, help="Tutup paksa walau masih ada SKP belum final (wajib --reason).")
@click.option("--reason", default=None, help="Alasan (wajib untuk tutup paksa).")
@_user_opt
def advance_cmd(period_code, force, reason, username):
    """Lanjutkan periode satu langkah (draf > perencanaan > berjalan > penilaian > ditutup)."""
    from . import period as wf

    session, period, user = _context(period_code, username)
    status = _run(lambda: wf.advance(session, user, period, force=force, reason=reason))
    click.echo(f"Periode {period.code} kini berstatus {status}.")


@period_group.command("close")
@click.argument("period_code")
@click.option("--force", is_flag=True, help="Tutup paksa walau masih ada SKP belum final (wajib --reason).")
@click.option("--reason", default=None, help="Alasan (wajib untuk tutup paksa).")
@_user_opt
def close_cmd(period_code, force, reason, username):
    """Tutup (kunci) periode."""
    from . import period as wf

    session, period, user = _context(period_code, username)
    _run(lambda: wf.close(session, user, period, force=force, reason=reason))
    click.echo(f"Periode {period.code} ditutup dan terkunci.")


@period_group.command("reopen")
@click.argument("period_code")
@click.option("--reason", required=True, help="Alasan membuka kembali (wajib).")
@_user_opt
def reopen_cmd(period_code, reason, username):
    """Buka kembali periode yang sudah ditutup (khusus admin)."""
    from . import period as wf

    session, period, user = _context(period_code, username)
    _run(lambda: wf.reopen(session, user, period, reason))
    click.echo(f"Periode {period.code} dibuka kembali (status {period.status}).")


def register(group: click.Group) -> None:
    """Attach this package's commands to `flask kinerja`."""
    group.add_command(period_group)
