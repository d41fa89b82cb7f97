"""Today's date in the instance's time zone (setting tampilan.zona_waktu, WIB by default): the day
that decides whether a delegation is in force, whether a periodic window is open and which deadline
reminders are due. Read once per transaction of the session that asks."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

KEY = "kinerja.today"


def today(session=None) -> dt.date:
    from models import db

    session = session if session is not None else db.session
    cached = session.info.get(KEY)
    if cached is not None:
        return cached
    from .formatting import DEFAULT_ZONE, instance_zone

    try:
        zone = ZoneInfo(instance_zone())
    except Exception:  # an unknown zone name in the setting: the default zone
        zone = ZoneInfo(DEFAULT_ZONE)
    value = dt.datetime.now(zone).date()
    session.info[KEY] = value
    return value
