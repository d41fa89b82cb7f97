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
    from kinerja_admin.cliutil import ProgressBar
    from kinerja_admin.jobs import work
    from models import db

    from .importer import error_workbook

    if not Path(file).is_file():
        _fail(f"berkas {file} tidak ditemukan.")
    try:
        with ProgressBar() as bar:  # the same stages as the background job on /admin/jobs/
            report = work.import_file(db.session, file, dry_run=dry_run, filename=Path(file).name, progress=bar)
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
@click.option("--opd", default=None, help="Hanya satu OPD (kode, nama atau id unit teratas) beserta sub-unitnya.")
def export_cmd(period, out, opd):
    """Ekspor hasil penilaian satu periode ke Excel (untuk Inspektorat/BKN), seluruh kota atau satu OPD."""
    from sqlalchemy import select

    from kinerja_admin.cliutil import ProgressBar
    from kinerja_admin.jobs import work
    from kinerja_admin.opd import find_opd, in_opd
    from models import Period, ScoreResult, db

    p = db.session.scalar(select(Period).where(Period.code == period))
    if p is None:
        _fail(f"periode {period} tidak ditemukan.")
    condition, desc = None, ""
    if opd:
        unit = find_opd(db.session, opd)
        if unit is None:
            _fail(f"OPD '{opd}' tidak ditemukan (gunakan kode atau nama unit teratas).")
        condition = in_opd(ScoreResult.unit_id, unit.id, db.session)
        desc = f"Penyaringan: OPD {unit.name} (dengan seluruh sub-unitnya)"
    with ProgressBar() as bar:  # the same stages as the background job on /admin/jobs/
        stats = work.export(db.session, p, out, result_filter=condition, filter_desc=desc, generated_by="CLI",
                            progress=bar)
    db.session.rollback()
    click.echo(f"Ekspor periode {p.code} selesai: {stats['employees']} pegawai -> {out}.")


def register(group: click.Group) -> None:
    """Attach this package's commands to `flask kinerja`."""
    group.add_command(import_cmd)
    group.add_command(template_cmd)
    group.add_command(export_cmd)
