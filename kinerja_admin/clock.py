"""Today's date in the instance's time zone (setting tampilan.zona_waktu, WIB by default): the day
that decides whether a delegation is in force, whether a periodic window is open and which deadline
reminders are due. Read once per transaction of the session that asks."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

KEY = "kinerja.today"


def today(session=None, fresh: bool = False) -> dt.date:
    """Today in the instance's zone; `fresh` reads the zone setting with a statement of its own every
    time (code that must run the same statements on every call, e.g. the notification hooks)."""
    from models import db

    session = session if session is not None else db.session
    cached = session.info.get(KEY)
    if cached is not None and not fresh:
        return cached
    from sqlalchemy import select

    from models import Setting

    from .formatting import DEFAULT_ZONE

    name = session.execute(select(Setting.value).where(Setting.key == "tampilan.zona_waktu")).scalar()
    try:
        zone = ZoneInfo((name or DEFAULT_ZONE).strip())
    except Exception:  # an unknown zone name in the setting: the default zone
        zone = ZoneInfo(DEFAULT_ZONE)
    value = dt.datetime.now(zone).date()
    if not fresh:
        session.info[KEY] = value
    return value
