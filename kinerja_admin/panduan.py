"""`/panduan/`: the guidance section (sosialisasi). Public pages without login; the role pages,
the period's real dates and the reader's own next step after logging in. Content is edited in
the admin (Sistem > Halaman Panduan) and rendered by kinerja_admin.guidance."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from models import GuidePage, db
from models.guide import GUIDE_AUDIENCES

from . import guidance
from .reports.common import PERIOD_ARG, pick_period
from .reports.dashboard import periods

bp = Blueprint("guide", __name__, url_prefix="/panduan")


def _user():
    return current_user if current_user.is_authenticated else None


def _period():
    return pick_period(periods(db.session), request.args.get(PERIOD_ARG))


@bp.route("/")
def index():
    user = _user()
    period = _period()
    pages = guidance.visible_pages(db.session, user)
    own = [p for p in pages if user is not None and p.audience == user.role]
    steps = guidance.next_steps(db.session, user, period, url_for)
    return render_template("guide/index.html", pages=pages, own=own, period=period, steps=steps, user=user,
                           audiences=GUIDE_AUDIENCES, values=guidance.placeholders(db.session, period))


@bp.route("/<slug>")
def page(slug: str):
    row = db.session.scalar(db.select(GuidePage).where(GuidePage.slug == slug))
    if row is None:
        abort(404)
    user = _user()
    if not row.public and user is None:
        return redirect(url_for("auth.login", next=request.path))
    period = _period()
    body = Markup(guidance.render(row.body, guidance.placeholders(db.session, period)))
    steps = guidance.next_steps(db.session, user, period, url_for) if row.audience != "umum" or user else []
    return render_template("guide/page.html", row=row, body=body, period=period, steps=steps, user=user,
                           audiences=GUIDE_AUDIENCES, may_edit=_may_edit(user))


def _may_edit(user) -> bool:
    from .permissions import can

    return user is not None and can("guide_page", user.role, "u")


def help_block(slug: str):
    """Jinja global for the contextual help macro: (title, html, link) of a help page, or None."""
    row = guidance.help_text(db.session, slug)
    if row is None:
        return None
    return {"title": row.title, "html": Markup(guidance.render(row.body, guidance.placeholders(db.session, None))),
            "url": url_for("guide.index")}


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["guide_help"] = help_block
