"""Evidence links (bukti dukung): a stored link is a full http(s) address, whatever path stores it (the
SKP page, a plain admin form, an import), so no page renders a ``javascript:`` or ``data:`` link that a
record's subject wrote for their rater to click."""
from __future__ import annotations

from urllib.parse import urlsplit

LINK_COLUMNS = ("evidence_url",)
MESSAGE = "Tautan bukti harus alamat web lengkap yang diawali http:// atau https://."


class LinkError(ValueError):
    """A link that may not be stored; the message is Indonesian."""


def check_link(value):
    """`value` stripped (None when empty), or LinkError when it is not an http(s) address."""
    if value is None:
        return None
    out = str(value).strip()
    if not out:
        return None
    parts = urlsplit(out)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise LinkError(MESSAGE)
    return out


_installed: set = set()


def install_link_guard(base) -> None:
    """Attach a 'set' listener to every link column (LINK_COLUMNS) of every mapped class, once."""
    from sqlalchemy import event

    from .numbers import new_column_attrs

    for cls, prop in new_column_attrs(base, _installed):
        if prop.key in LINK_COLUMNS:
            event.listen(getattr(cls, prop.key), "set", lambda _t, value, _o, _i: check_link(value), retval=True)
