"""`flask --app wsgi kinerja ...` commands: thin wrappers that parse arguments, call a service,
and report. Every command runs in one transaction: on error nothing is written."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .cliutil import fail as _fail

kinerja_cli = AppGroup("kinerja", help="Perintah administrasi e-Kinerja.")


def init_database() -> dict:
    """Create/upgrade the schema with the migrations, then seed reference data (idempotent)."""
    from flask_migrate import upgrade

    from models import db

    from .reference import seed_reference

    upgrade()
    added = seed_reference(db.session)
    db.session.commit()
    return added


@kinerja_cli.command("init")
def init_cmd():
    """Buat/perbarui skema basis data dan isi data referensi (aman diulang)."""
    added = init_database()
    shown = ", ".join(f"{k}: {v}" for k, v in added.items() if v) or "tidak ada data baru"
    click.echo(f"Basis data siap ({shown}).")


@kinerja_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "operator", "penilai", "pegawai", "inspektur"]),
              default="admin", show_default=True)
@click.option("--nip", default=None, help="NIP pegawai yang dikaitkan (wajib untuk penilai/pegawai).")
@click.option("--name", "full_name", default="", help="Nama lengkap.")
@click.option("--password", default=None, help="Kata sandi (ditanyakan jika tidak diisi).")
def create_user_cmd(username, role, nip, full_name, password):
    """Buat akun pengguna."""
    from models import Employee, User, db

    from .security import check_password_policy

    if db.session.scalar(db.select(User.id).where(User.username == username)) is not None:
        _fail(f"nama pengguna '{username}' sudah dipakai.")
    employee = None
    if nip:
        employee = db.session.scalar(db.select(Employee).where(Employee.nip == nip.replace(" ", "")))
        if employee is None:
            _fail(f"pegawai dengan NIP {nip} tidak ditemukan.")
    if role in ("penilai", "pegawai") and employee is None:
        _fail("peran penilai dan pegawai harus dikaitkan dengan NIP pegawai (--nip).")
    if password is None:
        if not sys.stdin.isatty():
            _fail("kata sandi wajib diisi dengan --password bila tidak interaktif.")
        password = click.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    try:
        check_password_policy(password, username=username,
                              user_inputs=[full_name, getattr(employee, "nip", None), getattr(employee, "name", None)])
    except ValueError as err:
        _fail(str(err))
    user = User(username=username, role=role, full_name=full_name or (employee.name if employee else username),
                employee=employee)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Pengguna '{username}' ({role}) dibuat.")


@kinerja_cli.command("demo")
@click.option("--employees", default=600, show_default=True, type=click.IntRange(20, 200000),
              help="Jumlah pegawai kota demo.")
@click.option("--seed", default=2026, show_default=True, type=int, help="Benih acak (hasil sama untuk benih sama).")
@click.option("--password", default="Binjai#2026", show_default=True, help="Kata sandi semua akun demo.")
@click.option("--reset", is_flag=True, help="Hapus data demo yang sudah ada lalu buat ulang.")
def demo_cmd(employees, seed, password, reset):
    """Bangun kota demo Binjai: OPD, jabatan, pegawai, periode 2025 dan 2026, akun per peran."""
    from flask import current_app

    from models import Employee, db

    from .demo import build_demo, reset_demo

    init_database()
    if db.session.scalar(db.select(Employee.id).limit(1)) is not None:
        if not reset:
            click.echo("Data demo sudah ada (gunakan --reset untuk membuat ulang).")
            _print_access(current_app, password, existing=True)
            return
        reset_demo(db.session)
        db.session.commit()
    with click.progressbar(length=100, label="Membangun kota demo") as bar:
        last = [0]

        def progress(pct: int) -> None:
            bar.update(pct - last[0])
            last[0] = pct

        summary = build_demo(db.session, employees=employees, seed=seed, password=password, progress=progress)
    db.session.commit()
    from .dbtools import analyze

    analyze()
    click.echo(summary)
    _print_access(current_app, password)


def _print_access(app, password: str, existing: bool = False) -> None:
    host = "http://127.0.0.1:5000"
    click.echo("")
    click.echo(f"Buka {host}/login  (portal publik: {host}/publik/)")
    if existing:
        click.echo("Akun demo: admin, operator, inspektur, penilai, pegawai "
                   "(kata sandi sesuai saat demo dibuat; bawaan: Binjai#2026).")
    else:
        click.echo(f"Akun demo: admin, operator, inspektur, penilai, pegawai - kata sandi: {password}")


def _register_feature_commands() -> None:
    """Each feature package defines its commands and exposes `register(group)`; this is the one
    place that attaches them (the feature modules never import this one)."""
    from .excel import cli as excel_cli
    from .jobs import cli as jobs_cli
    from .notify import cli as notify_cli
    from .rating import cli as rating_cli
    from .scoring import cli as scoring_cli
    from .workflow import cli as workflow_cli

    for feature in (excel_cli, jobs_cli, notify_cli, rating_cli, scoring_cli, workflow_cli):
        feature.register(kinerja_cli)


_register_feature_commands()
