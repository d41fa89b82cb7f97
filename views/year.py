"""Pages of the year (issue 18): notifications (/admin/notifikasi/), Tugas Saya (/admin/tugas/), acting
superiors (Plt/Plh delegations) and the periodic evaluation windows with the allowance export. Business
rules live in kinerja_admin.notify, kinerja_admin.worklist, kinerja_admin.delegation and
kinerja_admin.periodic; these views parse requests and commit."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from kinerja_admin import permissions, worklist
from kinerja_admin.notify import EVENTS, inbox
from kinerja_admin.workflow import WorkflowError
from models import Period, db
from models.year import DELEGATION_KINDS, EMAIL_MODES, FREQUENCIES

from .base import SecuredBaseView, SecuredModelView


def _safe_url(url: str | None) -> str:
    """Only paths of this app (a notification's link is ours, but never follow elsewhere)."""
    if url and url.startswith("/") and not url.startswith("//"):
        return url
    return url_for("notifikasi.index")


class NotificationsView(SecuredBaseView):
    """The user's own notifications: newest unread first; opening one marks it read."""

    @expose("/")
    def index(self):
        page = max(request.args.get("page", 1, type=int), 1)
        rows, total = inbox.page(db.session, current_user, page=page)
        return self.render("admin/year/notifications.html", rows=rows, total=total, page=page, per_page=30,
                           events=EVENTS, unread=inbox.unread_count(db.session, current_user))

    @expose("/<int:notification_id>/buka", methods=["POST"])
    def open_item(self, notification_id):
        row = inbox.open_one(db.session, current_user, notification_id)
        if row is None:
            abort(404)
        db.session.commit()
        return redirect(_safe_url(row.url))

    @expose("/baca-semua", methods=["POST"])
    def read_all(self):
        n = inbox.mark_all_read(db.session, current_user)
        db.session.commit()
        flash(f"{n} pemberitahuan ditandai sudah dibaca.", "success")
        return redirect(url_for(".index"))

    @expose("/pengaturan", methods=["GET", "POST"])
    def preferences(self):
        if request.method == "POST":
            choices = {e: request.form.get(f"event-{e}", "semua") for e in EVENTS}
            try:
                inbox.save_preferences(db.session, current_user, request.form.get("email_mode", "segera"), choices)
                db.session.commit()
                flash("Pengaturan pemberitahuan disimpan.", "success")
            except inbox.PreferenceError as err:
                db.session.rollback()
                flash(str(err), "error")
            return redirect(url_for(".preferences"))
        from kinerja_admin.notify.mail import configured

        return self.render("admin/year/preferences.html", prefs=inbox.preferences(db.session, current_user),
                           modes=EMAIL_MODES, choices=inbox.CHOICES, smtp=configured(),
                           email=getattr(getattr(current_user, "employee", None), "email", None))


class TasksView(SecuredBaseView):
    """Tugas Saya: what waits for the current user; each kind opens its list (the count is the list's)."""

    @expose("/")
    def index(self):
        counts = worklist.counts(db.session, current_user)
        return self.render("admin/year/tasks.html", kinds=worklist.KINDS, counts=counts, kind=None, rows=None,
                           no_employee=getattr(current_user, "employee_id", None) is None)

    @expose("/<kind>")
    def kind_view(self, kind):
        if kind not in worklist.BY_CODE:
            abort(404)
        counts = worklist.counts(db.session, current_user)
        rows = worklist.items(db.session, current_user, kind)
        return self.render("admin/year/tasks.html", kinds=worklist.KINDS, counts=counts, kind=worklist.BY_CODE[kind],
                           rows=rows, no_employee=getattr(current_user, "employee_id", None) is None)


class DelegationView(SecuredModelView):
    """Plt / Plh: recorded by BKPSDM with the decree; in force between its dates."""

    audit_entity = None  # audited by the ORM trail (record policy: audited "all")
    column_list = ["kind", "holder", "principal", "unit", "start_date", "end_date", "decree"]
    column_default_sort = ("start_date", True)
    column_labels = {"kind": "Jenis", "holder": "Pelaksana (Plt/Plh)", "principal": "Pejabat yang digantikan",
                     "unit": "Unit kerja yang dicakup", "start_date": "Mulai berlaku", "end_date": "Berakhir",
                     "decree": "Nomor surat perintah", "note": "Keterangan", "created_at": "Dibuat",
                     "updated_at": "Diubah"}
    column_formatters = {"kind": lambda v, c, m, n: DELEGATION_KINDS.get(m.kind, m.kind)}
    form_columns = ["kind", "holder", "principal", "unit", "start_date", "end_date", "decree", "note"]
    form_overrides = {"kind": SelectField}
    form_args = {
        "kind": {"choices": list(DELEGATION_KINDS.items()), "label": "Jenis"},
        "principal": {"description": "Kosongkan bila jabatan lowong: Plt/Plh menjadi pejabat penilai SKP di unit "
                                     "kerja di bawah ini yang tidak memiliki pejabat penilai."},
        "unit": {"description": "Unit kerja beserta sub-unitnya yang SKP-nya dicakup; kosongkan untuk semua SKP "
                                "yang dinilai pejabat yang digantikan."},
    }
    form_ajax_refs = {"holder": {"fields": ["name", "nip"], "page_size": 10},
                      "principal": {"fields": ["name", "nip"], "page_size": 10}}
    column_searchable_list = ["decree"]


class PeriodicView(SecuredBaseView):
    """Evaluasi Periodik: a period's evaluation windows (BKPSDM makes them, monthly, quarterly or per
    semester) and the export of a window's results for allowance calculation (a background job)."""

    @expose("/")
    def index(self):
        from kinerja_admin.opd import opd_units
        from kinerja_admin.periodic import windows

        periods = db.session.scalars(select(Period).order_by(Period.start_date.desc())).all()
        chosen = next((p for p in periods if str(p.id) == request.args.get("period")), None)
        running = next((p for p in periods if p.status in ("running", "assessing")), None)
        period = chosen or running or (periods[0] if periods else None)
        rows = windows.of_period(db.session, period.id) if period else []
        return self.render("admin/year/periodic.html", periods=periods, period=period, windows=rows,
                           frequencies=FREQUENCIES, opds=opd_units(db.session),
                           may_generate=permissions.can("periodik", current_user.role, "a"),
                           may_export=permissions.can("periodik", current_user.role, "x"))

    @expose("/buat", methods=["POST"])
    def generate(self):
        from kinerja_admin.periodic import windows

        if not permissions.can("periodik", current_user.role, "a"):
            abort(403)
        pid = request.form.get("period_id", type=int)
        period = db.session.get(Period, pid) if pid is not None else None
        if period is None:
            abort(404)
        try:
            rows = windows.generate(db.session, period, request.form.get("frequency", ""))
            db.session.commit()
            flash(f"{len(rows)} jendela evaluasi {FREQUENCIES[rows[0].frequency].lower()} dibuat untuk periode "
                  f"{period.code}." if rows else "Tidak ada jendela yang dibuat.", "success")
        except WorkflowError as err:
            db.session.rollback()
            flash(str(err), "error")
        return redirect(url_for(".index", period=period.id))

    @expose("/ekspor", methods=["POST"])
    def export_periodic(self):
        from kinerja_admin.jobs import start_job
        from models import SubPeriod

        if not permissions.can("periodik", current_user.role, "x"):
            abort(403)
        wid = request.form.get("window_id", type=int)
        window = db.session.get(SubPeriod, wid) if wid is not None else None
        if window is None:
            abort(404)
        opd = request.form.get("opd", type=int)
        job, _started = start_job("periodic", f"Ekspor evaluasi periodik {window.name}"
                                  + (" (satu OPD)" if opd else ""),
                                  {"window_id": window.id, "opd": opd}, user=current_user, period_id=window.period_id)
        return redirect(url_for("jobs.detail", job_id=job.id))
