"""Helpers shared by the `flask kinerja ...` commands of every feature package (no imports of
the command modules themselves, so features and kinerja_admin.cli import this without a circle)."""
from __future__ import annotations

import sys

import click


def fail(message: str) -> None:
    """Print an Indonesian error and exit 1 (the caller has rolled back: nothing was written)."""
    click.secho(f"Gagal: {message}", fg="red", err=True)
    sys.exit(1)


class ProgressBar:
    """The CLI's view of the same progress a background job reports (kinerja_admin.jobs.work):
    ``progress(done=None, total=None, stage=None)``. Each stage is printed on its own line and the
    rows go into a click progress bar, on stderr so that stdout stays the command's result."""

    def __init__(self, label: str = ""):
        self.label = label
        self.bar = None
        self.total = None
        self.done = 0
        self.stage = None

    def __call__(self, done: int | None = None, total: int | None = None, stage: str | None = None) -> None:
        if stage is not None and stage != self.stage:
            self.stage = stage
            self._close()
            click.echo(f"{self.label}{stage}", err=True)
        if total is not None and total != self.total:
            self._close()
            self.total = total
        if self.bar is None and self.total:
            self.bar = click.progressbar(length=self.total, label="  baris", file=sys.stderr, show_pos=True)
            self.bar.__enter__()
            self.done = 0
        if self.bar is not None and done is not None and done > self.done:
            self.bar.update(min(done, self.total) - self.done)
            self.done = min(done, self.total)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._close()
