"""`flask kinerja worker`: a separate job worker (production, with KINERJA_QUEUE_URL=redis://...),
and `flask kinerja jobs`: the latest jobs and their state."""
from __future__ import annotations

import click

from kinerja_admin.cliutil import fail as _fail


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Jumlah tugas yang dikerjakan bersamaan.")
@click.option("--processes", is_flag=True,
              help="Pekerja berupa proses terpisah (bukan thread): ekspor besar berjalan paralel di beberapa inti.")
def worker_cmd(workers, processes):
    """Jalankan pekerja tugas latar (hitung nilai, ekspor, impor) sampai dihentikan (Ctrl+C / SIGTERM)."""
    from flask import current_app

    from models import db

    from .queue import get_queue

    app = current_app._get_current_object()
    queue = get_queue(app)
    if queue.mode == "immediate":
        _fail("KINERJA_QUEUE_URL=immediate menjalankan tugas langsung; pekerja terpisah tidak diperlukan.")
    if processes:
        @queue.huey.on_startup()
        def _fresh_connections():  # a forked worker must not share the parent's database sockets
            with app.app_context():
                db.engine.dispose(close=False)

    queue._sweep()
    click.echo(f"Pekerja tugas e-Kinerja: antrean {queue.mode} '{queue.huey.name}', {workers} "
               f"{'proses' if processes else 'thread'}. Hentikan dengan Ctrl+C.")
    queue.consumer(workers=workers, worker_type="process" if processes else "thread").run()


@click.command("jobs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def jobs_cmd(limit):
    """Tampilkan tugas latar terbaru beserta statusnya."""
    from models import Job, db
    from models.jobs import JOB_STATUSES

    from .queue import get_queue

    rows = db.session.scalars(db.select(Job).order_by(Job.id.desc()).limit(limit)).all()
    click.echo(f"Antrean: {get_queue().mode}, menunggu di antrean: {get_queue().pending()}")
    for j in rows:
        figures = f"{j.done}/{j.total}" if j.total else ""
        click.echo(f"#{j.id:<5} {JOB_STATUSES.get(j.status, j.status):<16} {figures:>13}  {j.title}"
                   + (f"  - {j.error}" if j.error else ""))


def register(group: click.Group) -> None:
    group.add_command(worker_cmd)
    group.add_command(jobs_cmd)
