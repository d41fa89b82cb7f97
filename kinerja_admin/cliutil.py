"""Helpers shared by the `flask kinerja ...` commands of every feature package (no imports of
the command modules themselves, so features and kinerja_admin.cli import this without a circle)."""
from __future__ import annotations

import sys

import click


def fail(message: str) -> None:
    """Print an Indonesian error and exit 1 (the caller has rolled back: nothing was written)."""
    click.secho(f"Gagal: {message}", fg="red", err=True)
    sys.exit(1)
