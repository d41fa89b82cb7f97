"""`flask --app wsgi kinerja assign-raters PERIOD`: generate the 360 rater assignments of a period."""
from __future__ import annotations

import click

from kinerja_admin.cliutil import fail as _fail


@click.command("assign-raters")
@click.argument("period")
@click.option("--dry-run", is_flag=True, help="Hanya hitung, tanpa menyimpan.")
def assign_raters_cmd(period, dry_run):
    """Buat penugasan penilai 360 derajat (atasan, rekan, bawahan, diri) untuk PERIODE (aman diulang)."""
    from models import db

    from .assignment import generate_assignments
    from .common import RatingError

    try:
        result = generate_assignments(db.session, period, dry_run=dry_run)
    except RatingError as err:
        db.session.rollback()
        _fail(str(err))
        return
    if dry_run:
        db.session.rollback()
        click.echo("(uji coba, tidak disimpan) " + result.summary())
        return
    db.session.commit()
    click.echo(result.summary())


def register(group: click.Group) -> None:
    """Attach this package's commands to `flask kinerja`."""
    group.add_command(assign_raters_cmd)
