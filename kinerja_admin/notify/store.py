"""Creating notifications: one INSERT ... SELECT per event and batch of records, in the caller's
transaction. The recipient's preferences (notification_optout, notification_setting), the e-mail
address and whether SMTP is configured decide the row's e-mail state in SQL; the unique key per
recipient makes a repeated event insert nothing."""
from __future__ import annotations

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union,
)

from models import Employee, Notification, NotificationOptout, NotificationSetting, User
from models.base import utcnow

from . import MAIL_KEY


def text(*parts):
    """Concatenation of literal texts and columns, portable (|| or CONCAT), NULL as empty."""
    out = None
    for p in parts:
        if isinstance(p, str):
            expr = literal(p, String)
        else:
            expr = func.coalesce(cast(p, String), literal("", String))
        out = expr if out is None else out + expr
    return out


def insert_select(session, event: str | None, source) -> int:
    """Insert the notifications `source` selects (columns user_id, key, title, body, url, period_id, and
    event when `event` is None). Returns the number inserted."""
    from .mail import configured

    src = source.subquery("src")
    event_col = literal(event, String) if event is not None else src.c.event
    opt = NotificationOptout.__table__
    pref = NotificationSetting.__table__
    if configured():
        state = case(
            (opt.c.scope == "email", literal("none")),
            (or_(Employee.email.is_(None), Employee.email == ""), literal("none")),
            (pref.c.email_mode == "mati", literal("none")),
            (pref.c.email_mode == "ringkasan", literal("digest")),
            else_=literal("pending"))
        to = case((state != "none", Employee.email), else_=null())
    else:
        state, to = literal("none"), null()
    n = Notification.__table__
    stamp = utcnow()
    mysql = session.get_bind().dialect.name == "mysql"

    def same(a, b):  # MariaDB: a derived table's text and a column may carry different collations
        return a.collate("utf8mb4_bin") == b.collate("utf8mb4_bin") if mysql else a == b

    sel = (select(src.c.user_id, event_col, src.c.key, func.substr(src.c.title, 1, 300), src.c.body,
                  src.c.url, cast(src.c.period_id, Integer), literal(stamp, DateTime), state, to)
           .select_from(src.join(User, User.id == src.c.user_id)
                        .outerjoin(Employee, Employee.id == User.employee_id)
                        .outerjoin(pref, pref.c.user_id == src.c.user_id)
                        .outerjoin(opt, and_(opt.c.user_id == src.c.user_id, same(opt.c.event, event_col))))
           .where(User.active.is_(True), or_(opt.c.scope.is_(None), opt.c.scope != "semua"),
                  ~exists().where(n.c.user_id == src.c.user_id, same(n.c.key, src.c.key))))
    res = session.execute(insert(n).from_select(
        ["user_id", "event", "key", "title", "body", "url", "period_id", "created_at", "email_state", "email_to"],
        sel))
    count = res.rowcount if res.rowcount is not None else -1
    if count <= 0:  # some drivers (psycopg) report no row count for INSERT ... SELECT: count what it stored
        count = session.scalar(select(func.count()).select_from(n).where(n.c.created_at == stamp)) or 0
    if configured() and count:
        session.info[MAIL_KEY] = True
    return count


def insert_rows(session, event: str, rows: list[dict]) -> int:
    """The same for rows computed in Python (single events: an objection, a message)."""
    if not rows:
        return 0
    parts = [select(literal(r["user_id"], Integer).label("user_id"), literal(r["key"], String).label("key"),
                    literal(r["title"], String).label("title"),
                    (literal(r["body"], String) if r.get("body") is not None else null()).label("body"),
                    literal(r.get("url") or "", String).label("url"),
                    (literal(r["period_id"], Integer) if r.get("period_id") is not None else null()).label("period_id"))
             for r in _unique(rows)]
    source = parts[0] if len(parts) == 1 else union(*parts)
    return insert_select(session, event, source)


def _unique(rows):
    seen = set()
    for r in rows:
        k = (r["user_id"], r["key"])
        if k not in seen:
            seen.add(k)
            yield r


def users_of(session, employee_ids) -> dict[int, int]:
    """{employee id: active user id}."""
    ids = sorted({i for i in employee_ids if i is not None})
    if not ids:
        return {}
    return dict(session.execute(select(User.employee_id, User.id).where(User.employee_id.in_(ids),
                                                                        User.active.is_(True))).all())
