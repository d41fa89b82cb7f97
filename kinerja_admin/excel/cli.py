"""`flask kinerja import FILE [--dry-run]`, `flask kinerja template FILE` and
`flask kinerja export PERIOD --out FILE.xlsx` (registered on `flask kinerja` by kinerja_admin.cli)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kinerja_admin.cliutil import fail as _fail


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Periksa dan hitung saja; tidak ada data yang disimpan.")
@click.option("--errors-out", type=click.Path(dir_okay=False), default=None,
              help="Tulis daftar kesalahan ke berkas .xlsx ini.")
def import_cmd(file, dry_run, errors_out):
    """Impor data induk (Unit, Jabatan, Pegawai) dari berkas templat .xlsx."""
    from models import db

    from .importer import error_workbook, import_workbook

    if not Path(file).is_file():
        _fail(f"berkas {file} tidak ditemukan.")
    try:
        report = import_workbook(file, session=db.session, dry_run=dry_run)
    except Exception:
        db.session.rollback()
        raise
    if not report.ok:
        db.session.rollback()
        click.secho(f"{len(report.errors)} kesalahan ditemukan; tidak ada data yang disimpan.", fg="red", err=True)
        for e in report.errors[:200]:
            click.echo(f"  {e}", err=True)
        if len(report.errors) > 200:
            click.echo(f"  ... dan {len(report.errors) - 200} kesalahan lain.", err=True)
        if errors_out:
            Path(errors_out).write_bytes(error_workbook(report))
            click.echo(f"Daftar kesalahan ditulis ke {errors_out}.", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo(f"Uji coba (tidak ada yang disimpan): {report.summary()}.")
        return
    db.session.commit()
    click.echo(f"Impor selesai: {report.summary()}.")


@click.command("template")
@click.argument("file", type=click.Path(dir_okay=False))
def template_cmd(file):
    """Tulis templat impor data induk (.xlsx)."""
    from .template import build_template

    Path(file).write_bytes(build_template())
    click.echo(f"Templat ditulis ke {file}.")


@click.command("export")
@click.argument("period")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Berkas .xlsx tujuan.")
def export_cmd(period, out):
    """Ekspor hasil penilaian satu periode ke Excel (untuk Inspektorat/BKN)."""
    from sqlalchemy import select

    from models import Period, db

    from .exporter import export_period

    p = db.session.scalar(select(Period).where(Period.code == period))
    if p is None:
        _fail(f"periode {period} tidak ditemukan.")
    with click.progressbar(length=100, label="Menulis berkas Excel", file=sys.stderr) as bar:
        last = [0]

        def progress(pct: int) -> None:
            if pct > last[0]:
                bar.update(pct - last[0])
                last[0] = pct

        stats = export_period(p, out, session=db.session, generated_by="CLI", progress=progress)
    db.session.rollback()
    click.echo(f"Ekspor periode {p.code} selesai: {stats['employees']} pegawai -> {out}.")


def register(group: click.Group) -> None:
    """Attach this package's commands to `flask kinerja`."""
    group.add_command(import_cmd)
    group.add_command(template_cmd)
    group.add_command(export_cmd)
