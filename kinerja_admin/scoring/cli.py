"""`flask kinerja score PERIOD`: compute every employee of a period (one transaction)."""
from __future__ import annotations

import click

from kinerja_admin.cliutil import fail as _fail


@click.command("score")
@click.argument("period_code")
def score_cmd(period_code):
    """Hitung nilai seluruh pegawai satu periode (berbasis himpunan, aman diulang)."""
    from kinerja_admin.cliutil import ProgressBar
    from kinerja_admin.jobs import work
    from models import db

    from .engine import ScoringError, find_period, summary_message

    period = find_period(db.session, period_code)
    if period is None:
        _fail(f"periode '{period_code}' tidak ditemukan.")
    try:
        with ProgressBar() as bar:  # the same stages as the background job on /admin/jobs/
            summary = work.score(db.session, period, progress=bar)
        db.session.commit()
    except ScoringError as err:
        db.session.rollback()
        _fail(str(err))
    click.echo(summary_message(summary, listed=0))
    for pred, n in summary["predicates"].items():
        click.echo(f"  {pred}: {n}")
    if summary["failed"]:
        click.echo("Pegawai tanpa predikat dan alasannya:")
        for f in summary["failed"]:
            click.echo(f"  {f['name']} ({f['nip']}): {f['reason']}")
        if summary["without_predicate"] > len(summary["failed"]):
            click.echo(f"  ... dan {summary['without_predicate'] - len(summary['failed'])} pegawai lain "
                       "(lihat kolom Catatan Perhitungan pada ekspor Excel).")
    for w in summary["warnings"]:
        click.secho(f"Peringatan distribusi: {w}", fg="yellow")
    click.echo(f"Selesai dalam {summary['seconds']} detik.")


def register(group: click.Group) -> None:
    """Attach this package's commands to `flask kinerja`."""
    group.add_command(score_cmd)
