"""Admin glue for the workflows: bulk actions on ticked rows AND on all rows matching the current
filters, the reason page for "Kembalikan", and optimistic locking of edit forms.

No business rule lives here: every transition is a call into kinerja_admin.workflow.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from kinerja_admin.workflow import WorkflowError
from kinerja_admin.workflow.base import CONFLICT_MESSAGE, clean_ids
from models import db

MAX_TICKED = 1000


class BulkWorkflowMixin:
    """Needs `workflow_module` (plan or score module with `bulk()`) and `bulk_ops`
    {action name: (label, confirmation or None, needs_reason)}."""

    list_template = "admin/workflow/list.html"
    help_slug: str | None = None  # the Panduan help block shown above the list (guide/_help.html)
    workflow_module = None
    bulk_ops: dict = {}
    # Which roles are offered each operation (the workflow still decides per row, e.g. only the
    # plan's own rater approves it); an operation missing here is offered to every role with 'a'.
    op_roles: dict = {}

    def is_action_allowed(self, name):
        roles = self.op_roles.get(name)
        if roles is not None and getattr(current_user, "role", None) not in roles:
            return False
        return super().is_action_allowed(name)

    # --- the engine call, shared by ticked / all-matching / reason page ---------------------
    def _run_bulk(self, op: str, ids, reason: str | None = None, seen_at=None) -> bool:
        if op not in self.bulk_ops or not self.is_action_allowed(op):
            abort(403)
        try:
            result = self.workflow_module.bulk(db.session, current_user, op, ids, reason=reason, seen_at=seen_at)
            db.session.commit()
        except WorkflowError as err:
            db.session.rollback()
            flash(str(err), "error")
            return False
        except StaleDataError:
            db.session.rollback()
            flash(CONFLICT_MESSAGE, "error")
            return False
        flash(result.summary, "success" if result.done else "warning")
        for line in result.details():
            flash(line, "warning")
        return True

    def _filtered_ids(self):
        """SELECT of the ids of every row matching the list's current search and filters
        (request.args), built by Flask-Admin's own get_list, so inside get_query's row scope."""
        view_args = self._get_list_extra_args()
        _count, query = self.get_list(0, None, False, view_args.search, view_args.filters, execute=False,
                                      page_size=False)
        sub = query.subquery()  # eager joins are disabled inside a subquery
        return select(sub.c.id)

    def _list_args(self) -> dict:
        return {k: v for k, v in request.args.items() if k not in ("page",)}

    # --- all rows matching the filters ----------------------------------------------------
    def _count(self, ids_select) -> int:
        return int(db.session.scalar(select(db.func.count()).select_from(ids_select.subquery())) or 0)

    @expose("/bulk-all/", methods=("POST",))
    def bulk_all_view(self):
        """Every operation on "all rows matching the filters" first shows a confirmation page with
        the number of rows and the filters in words; only the confirmed POST changes anything, and
        only if the number of matching rows is still the one the user confirmed."""
        op = request.form.get("op", "")
        if op not in self.bulk_ops:
            abort(400)  # no such operation: a malformed request, not a forbidden one
        if not self.is_action_allowed(op):
            abort(403)
        args = self._list_args()
        if self.bulk_ops[op][2]:
            return redirect(self.get_url(".reason_view", op=op, scope="filter", **args))
        ids = self._filtered_ids()
        count = self._count(ids)
        notice = None
        if request.form.get("confirm") == "1":
            if str(count) == request.form.get("expected", ""):
                self._run_bulk(op, ids, seen_at=_seen_at())
                return redirect(self.get_url(".index_view", **args))
            notice = (f"Jumlah data yang sesuai filter berubah sejak halaman konfirmasi dibuka (kini {count}). "
                      "Tidak ada data yang diubah; periksa lalu konfirmasi ulang.")
        return self.render("admin/workflow/confirm_all.html", op=op, op_label=self.bulk_ops[op][0], count=count,
                           words=self.filters_in_words(), notice=notice,
                           # the list page's time (else this page's) goes on to the confirmed POST
                           seen_at=request.form.get("seen_at") or page_time(),
                           action_url=self.get_url(".bulk_all_view", **args),
                           cancel_url=self.get_url(".index_view", **args))

    # --- reason page (Kembalikan) -----------------------------------------------------------
    @expose("/reason/", methods=("GET", "POST"))
    def reason_view(self):
        op = request.values.get("op", "")
        if op not in self.bulk_ops or not self.bulk_ops[op][2]:
            abort(400)
        if not self.is_action_allowed(op):
            abort(403)
        by_filter = request.args.get("scope") == "filter"
        list_args = {k: v for k, v in request.args.items() if k not in ("op", "scope", "ids")}
        words = []
        if by_filter:
            ids = self._filtered_ids()
            count = self._count(ids)
            words = self.filters_in_words()
            raw_ids = ""
        else:
            raw_ids = request.values.get("ids", "")
            id_list = clean_ids(raw_ids.split(","))[:MAX_TICKED]
            ids = id_list
            count = len(id_list)
        error = None
        if request.method == "POST":
            reason = request.form.get("reason", "").strip()
            if not reason:
                error = "Alasan wajib diisi; tidak ada data yang diubah."
            elif by_filter and request.form.get("expected") not in (None, str(count)):
                error = (f"Jumlah data yang sesuai filter berubah sejak halaman ini dibuka (kini {count}). "
                         "Tidak ada data yang diubah; periksa lalu kirim ulang.")
            else:
                self._run_bulk(op, ids, reason=reason)
                return redirect(self.get_url(".index_view", **list_args))
        return self.render("admin/workflow/reason.html", op=op, op_label=self.bulk_ops[op][0], count=count,
                           raw_ids=raw_ids, error=error, by_filter=by_filter, words=words,
                           cancel_url=self.get_url(".index_view", **list_args))

    # values for the list template
    def page_time(self) -> str:
        return page_time()

    @property
    def workflow_base_list(self) -> str:
        """The list template this mixin's template extends: the next one defined further down the
        MRO (e.g. another mixin's), else Flask-Admin's own."""
        for cls in type(self).__mro__:
            if issubclass(cls, BulkWorkflowMixin):
                continue
            tpl = cls.__dict__.get("list_template")
            if tpl:
                return tpl
        return "admin/model/list.html"

    def bulk_all_choices(self):
        return [(name, spec[0]) for name, spec in self.bulk_ops.items() if self.is_action_allowed(name)]

    def _ticked(self, op, ids):
        ids = clean_ids(ids)[:MAX_TICKED]
        if self.bulk_ops[op][2]:
            return redirect(self.get_url(".reason_view", op=op, ids=",".join(map(str, ids)),
                                         **_return_args()))
        self._run_bulk(op, ids, seen_at=_seen_at())
        return None


def page_time() -> str:
    """When a list page is made (UTC, like the records' times): the action form sends it back as
    ``seen_at`` (templates/admin/workflow/list.html)."""
    from models.base import utcnow

    return utcnow().isoformat()


def _seen_at():
    """The ``seen_at`` the ticked rows' page sent, or None (absent or malformed: no check)."""
    import datetime as dt

    try:
        seen = dt.datetime.fromisoformat(request.form.get("seen_at", ""))
    except ValueError:
        return None
    if seen.tzinfo is not None:
        seen = seen.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return seen


def _return_args() -> dict:
    """List args of the page the action form came from (its `url` field), to come back to it."""
    from urllib.parse import parse_qsl, urlsplit

    url = request.form.get("url") or ""
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k != "page"}


class PlanActionsMixin(BulkWorkflowMixin):
    """Bulk actions of the work plan list."""

    help_slug = "bantuan-skp"

    bulk_ops = {
        "submit": ("Ajukan", "Ajukan SKP terpilih?", False),
        "approve": ("Setujui", "Setujui SKP terpilih?", False),
        "return": ("Kembalikan", None, True),
        "revise": ("Buka perubahan SKP", None, True),
        "finalise": ("Kunci (final)", "Kunci (finalkan) SKP terpilih?", False),
    }
    op_roles = {
        "submit": {"pegawai", "penilai", "operator", "admin"},  # a penilai has a plan of their own too
        "approve": {"penilai", "operator", "admin"},
        "return": {"penilai", "operator", "admin"},
        "revise": {"penilai", "operator"},  # the plan's own rater (policy: PLAN_TRANSITIONS["revise"])
        "finalise": {"penilai", "operator", "admin"},
    }

    @property
    def workflow_module(self):
        from kinerja_admin.workflow import plan

        return plan

    @action("submit", "Ajukan", "Ajukan SKP terpilih?")
    def action_submit(self, ids):
        return self._ticked("submit", ids)

    @action("approve", "Setujui", "Setujui SKP terpilih?")
    def action_approve(self, ids):
        return self._ticked("approve", ids)

    @action("return", "Kembalikan")
    def action_return(self, ids):
        return self._ticked("return", ids)

    @action("revise", "Buka perubahan SKP")
    def action_revise(self, ids):
        return self._ticked("revise", ids)

    @action("finalise", "Kunci (final)", "Kunci (finalkan) SKP terpilih?")
    def action_finalise(self, ids):
        return self._ticked("finalise", ids)


class ScoreActionsMixin(BulkWorkflowMixin):
    """Bulk actions of the score result list."""

    help_slug = "bantuan-penilaian"

    bulk_ops = {
        "approve": ("Setujui", "Setujui hasil penilaian terpilih?", False),
        "publish": ("Umumkan", "Umumkan hasil penilaian terpilih? Masa keberatan dimulai.", False),
    }
    op_roles = {"approve": {"penilai", "operator", "admin"}, "publish": {"operator", "admin"}}

    @property
    def workflow_module(self):
        from kinerja_admin.workflow import score

        return score

    @action("approve", "Setujui", "Setujui hasil penilaian terpilih?")
    def action_approve(self, ids):
        return self._ticked("approve", ids)

    @action("publish", "Umumkan", "Umumkan hasil penilaian terpilih? Masa keberatan dimulai.")
    def action_publish(self, ids):
        return self._ticked("publish", ids)


class OptimisticLockMixin:
    """Carries the row version through the edit form (hidden field) and refuses a save made from a
    stale form with a clear message; the user's input stays in the re-rendered form. The version
    column's own check (UPDATE ... WHERE version = ?) closes the race between load and save."""

    version_field = "version"
    version_form_field = "row_version"

    def scaffold_form(self):
        form_class = super().scaffold_form()
        setattr(form_class, self.version_form_field, HiddenField())
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        field = getattr(form, self.version_form_field, None)
        if field is not None and obj is not None and (request.method == "GET" or not field.data):
            field.data = str(getattr(obj, self.version_field))
        return form

    def update_model(self, form, model):
        field = getattr(form, self.version_form_field, None)
        current = getattr(model, self.version_field)
        if field is not None and str(field.data or "") != str(current):
            flash(CONFLICT_MESSAGE + f" (versi formulir {field.data or '-'}, versi sekarang {current})", "error")
            # The next save from this form deliberately overwrites: the user has seen the message.
            field.data = str(current)
            return False
        if field is not None:
            # not a model attribute: keep populate_obj from copying it onto the model
            form._fields.pop(self.version_form_field, None)
        try:
            ok = super().update_model(form, model)
        finally:
            if field is not None:
                form._fields[self.version_form_field] = field
        if not ok and field is not None:
            # Failed save (e.g. the UPDATE ... WHERE version = ? matched nothing): the transaction
            # was rolled back, so this reads the version now committed by the other user.
            try:
                field.data = str(getattr(model, self.version_field))
            except Exception:  # pragma: no cover - the row may be gone
                self.session.rollback()
        return ok

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleDataError):
            flash(CONFLICT_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)
