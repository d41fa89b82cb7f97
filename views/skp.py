"""The SKP page (/admin/skp/<plan_id>) and the assessment page (/admin/skp/<plan_id>/nilai).

One page per plan for everyone whose row scope holds it; what each viewer may change and which
transitions they may take come from the record policy and the plan workflow (kinerja_admin.skp).
Every POST is one user action in one transaction, answered with a redirect back to the page (or, on
the assessment page, the form again with the input kept and the reason)."""
from __future__ import annotations

import io
import logging

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from kinerja_admin import permissions
from kinerja_admin.reports import personal
from kinerja_admin.scope import scope_query
from kinerja_admin.scoring.formulas import FORMULA_CHOICES
from kinerja_admin.skp import assessment, document, editing, evidence
from kinerja_admin.workflow import WorkflowError
from kinerja_admin.workflow import plan as plan_flow
from kinerja_admin.workflow.base import CONFLICT_MESSAGE
from models import Period, WorkPlan, db
from models.base import CATEGORIES, PLAN_STATUSES, TARGET_ASPECTS

from .base import SecuredBaseView

log = logging.getLogger(__name__)

TRANSITIONS = {"submit": plan_flow.submit, "approve": plan_flow.approve, "return": plan_flow.return_plan,
               "revise": plan_flow.revise, "realise": plan_flow.realise, "assess": plan_flow.assess,
               "finalise": plan_flow.finalise}
DONE = {"submit": "SKP sudah diajukan kepada pejabat penilai.", "approve": "SKP disetujui.",
        "return": "SKP dikembalikan kepada pegawai dengan alasan Anda.",
        "revise": "SKP dibuka untuk perubahan (kembali ke Draf).", "realise": "SKP kini berstatus Realisasi.",
        "assess": "SKP sudah dinilai.", "finalise": "SKP dikunci (final)."}


def plan_url(plan_id: int, anchor: str | None = None) -> str:
    return url_for("skp.page", plan_id=plan_id) + (f"#{anchor}" if anchor else "")


class SkpView(SecuredBaseView):
    """Halaman SKP: one plan as one document, its actions and its inline editing."""

    def is_visible(self):
        return current_user.is_authenticated and getattr(current_user, "employee_id", None) is not None

    # --- reading -------------------------------------------------------------------------------
    def _plan(self, plan_id) -> WorkPlan:
        plan = db.session.scalar(scope_query(select(WorkPlan).where(WorkPlan.id == plan_id), WorkPlan, current_user))
        if plan is None:
            abort(404)
        return plan

    @expose("/")
    def index(self):
        """The viewer's own plans and the plans waiting for them as the rater."""
        me = current_user.employee_id
        own = personal.own_plans(db.session, me) if me else []
        waiting = []
        if me:
            waiting = db.session.execute(
                select(WorkPlan, Period).join(Period, Period.id == WorkPlan.period_id)
                .where(WorkPlan.rater_id == me, Period.status != "closed",
                       WorkPlan.status.in_(("submitted", "realised")))
                .order_by(Period.start_date.desc(), WorkPlan.id)).all()
        return self.render("admin/skp/index.html", own=own, waiting=waiting, plan_statuses=PLAN_STATUSES,
                           can_list=permissions.can("work_plan", current_user.role, "r"))

    @expose("/<int:plan_id>")
    def page(self, plan_id):
        plan = self._plan(plan_id)
        doc = document.document(db.session, plan, current_user)
        return self.render("admin/skp/page.html", doc=doc, aspects=TARGET_ASPECTS, formulas=FORMULA_CHOICES,
                           allowed_formulas=_allowed_formulas(doc), evidence_limits=evidence.limits_text(),
                           can_print=permissions.can("cetak", current_user.role, "r"))

    @expose("/<int:plan_id>/bukti/<int:file_id>")
    def evidence_download(self, plan_id, file_id):
        row = evidence.scoped_file(db.session, current_user, plan_id, file_id)
        if row is None:
            abort(404)
        response = send_file(io.BytesIO(row.content), mimetype=row.content_type, as_attachment=True,
                             download_name=row.filename, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    # --- one action per POST ------------------------------------------------------------------------
    def _commit(self, plan: WorkPlan, fn, success: str, anchor: str | None = None):
        try:
            fn()
            db.session.commit()
        except WorkflowError as err:  # refused by the policy, the workflow, a version check or the input
            db.session.rollback()
            flash(str(err), "error")
        except StaleDataError:
            db.session.rollback()
            flash(CONFLICT_MESSAGE, "error")
        except IntegrityError:
            db.session.rollback()
            flash("Data tidak dapat disimpan: bertentangan dengan data lain (misalnya baru saja diubah "
                  "pengguna lain). Muat ulang halaman lalu ulangi.", "error")
        except SQLAlchemyError:  # e.g. a file larger than the database server accepts in one packet
            db.session.rollback()
            log.exception("database error on the SKP page")
            flash("Basis data menolak perintah; perubahan tidak disimpan. Coba lagi beberapa saat lagi.", "error")
        else:
            flash(success, "success")
        return redirect(plan_url(plan.id, anchor))

    @expose("/<int:plan_id>/aksi", methods=["POST"])
    def transition(self, plan_id):
        plan = self._plan(plan_id)
        op = request.form.get("op", "")
        if op not in TRANSITIONS:
            abort(400)
        reason = request.form.get("reason", "")

        def run():
            if document.ACTIONS[op][2]:
                TRANSITIONS[op](db.session, current_user, plan, reason)
            else:
                TRANSITIONS[op](db.session, current_user, plan)

        return self._commit(plan, run, DONE[op], "status")

    @expose("/<int:plan_id>/rhk", methods=["POST"])
    def rhk_save(self, plan_id):
        plan = self._plan(plan_id)
        form = request.form
        op = form.get("op", "")

        def run():
            if op == "add":
                editing.add_target(db.session, plan, form.get("description"))
                return
            target = editing.target_of(db.session, plan, form.get("target_id"))
            if op == "edit":
                editing.update_target(db.session, target, form.get("version"), form.get("description"))
            elif op == "delete":
                editing.delete_target(db.session, plan, target, form.get("version"))
            elif op in ("up", "down"):
                editing.move_target(db.session, plan, target, form.get("version"), op)
            else:
                raise editing.InputError("Tindakan tidak dikenal.")

        messages = {"add": "RHK ditambahkan.", "edit": "RHK disimpan.", "delete": "RHK dihapus.",
                    "up": "Urutan RHK diubah.", "down": "Urutan RHK diubah."}
        return self._commit(plan, run, messages.get(op, "Disimpan."), "rhk")

    @expose("/<int:plan_id>/indikator", methods=["POST"])
    def indicator_save(self, plan_id):
        plan = self._plan(plan_id)
        form = request.form
        op = form.get("op", "")

        def run():
            if op == "add":
                target = editing.target_of(db.session, plan, form.get("target_id"))
                editing.add_indicator(db.session, target, form)
                return
            indicator = editing.indicator_of(db.session, plan, form.get("indicator_id"))
            if op == "edit":
                editing.update_indicator(db.session, indicator, form.get("version"), form)
            elif op == "delete":
                editing.delete_indicator(db.session, indicator, form.get("version"))
            else:
                raise editing.InputError("Tindakan tidak dikenal.")

        messages = {"add": "Indikator ditambahkan.", "edit": "Indikator disimpan.", "delete": "Indikator dihapus."}
        return self._commit(plan, run, messages.get(op, "Disimpan."), "rhk")

    @expose("/<int:plan_id>/realisasi", methods=["POST"])
    def realisation_save(self, plan_id):
        plan = self._plan(plan_id)
        form = request.form
        op = form.get("op", "")
        upload = _upload()

        def run():
            if op == "add":
                indicator = editing.indicator_of(db.session, plan, form.get("indicator_id"))
                editing.add_realisation(db.session, indicator, form, upload)
                return
            realisation = editing.realisation_of(db.session, plan, form.get("realisation_id"))
            if op == "attach":
                if upload is None:
                    raise editing.InputError("Pilih berkas bukti yang akan diunggah.")
                editing.attach_file(db.session, realisation, upload)
            elif op == "delete_file":
                editing.delete_file(db.session, realisation, form.get("file_id"))
            elif op == "feedback":
                editing.set_feedback(db.session, realisation, form.get("version"), form.get("feedback"))
            else:
                raise editing.InputError("Tindakan tidak dikenal.")

        messages = {"add": "Realisasi dicatat.", "attach": "Berkas bukti diunggah.",
                    "delete_file": "Berkas bukti dihapus.", "feedback": "Umpan balik disimpan."}
        return self._commit(plan, run, messages.get(op, "Disimpan."), "rhk")

    @expose("/<int:plan_id>/ekspektasi", methods=["POST"])
    def expectation_save(self, plan_id):
        plan = self._plan(plan_id)
        texts = {k.removeprefix("aspect-"): v for k, v in request.form.items() if k.startswith("aspect-")}
        return self._commit(plan, lambda: editing.set_expectations(db.session, plan, texts),
                            "Ekspektasi khusus pimpinan disimpan.", "perilaku")

    # --- through the year: periodic windows, feedback threads, coaching notes -----------------------
    @expose("/<int:plan_id>/periodik/<int:window_id>", methods=["GET", "POST"])
    def periodic_window(self, plan_id, window_id):
        """One evaluation window of the plan: the employee's realisation per indicator and the rater's
        judgement and feedback per RHK (forms only for who may, while the window is open)."""
        from kinerja_admin.clock import today
        from kinerja_admin.periodic import record as periodic
        from kinerja_admin.periodic.windows import STATE_LABELS, state

        plan = self._plan(plan_id)
        try:
            window = periodic.window_of(db.session, plan, window_id)
        except WorkflowError:
            abort(404)
        if request.method == "POST":
            form = request.form
            op = form.get("op", "")

            def run():
                if op == "realisasi":
                    indicator = editing.indicator_of(db.session, plan, form.get("indicator_id"))
                    periodic.save_realisation(db.session, plan, indicator, window, form)
                elif op == "penilaian":
                    target = editing.target_of(db.session, plan, form.get("target_id"))
                    periodic.save_judgement(db.session, plan, target, window, form)
                else:
                    raise editing.InputError("Tindakan tidak dikenal.")

            self._commit(plan, run, {"realisasi": f"Realisasi {window.name} disimpan.",
                                     "penilaian": f"Penilaian {window.name} disimpan."}.get(op, "Disimpan."))
            return redirect(url_for(".periodic_window", plan_id=plan.id, window_id=window.id))
        doc = document.document(db.session, plan, current_user)
        entry = next(w for w in doc["periodic"] if w["window"].id == window.id)
        st = state(window, today(db.session))
        return self.render("admin/skp/periodic.html", doc=doc, entry=entry, window=window, state=st,
                           state_label=STATE_LABELS[st], categories=CATEGORIES,
                           may_realise=doc["rights"].periodic_realise(st), may_judge=doc["rights"].periodic_judge(st))

    @expose("/<int:plan_id>/umpan-balik", methods=["POST"])
    def feedback_post(self, plan_id):
        from kinerja_admin import feedback

        plan = self._plan(plan_id)
        return self._commit(plan, lambda: feedback.post(db.session, plan, request.form.get("target_id"),
                                                        request.form.get("body")),
                            "Pesan umpan balik dikirim.", "umpan-balik")

    @expose("/<int:plan_id>/bimbingan", methods=["POST"])
    def coaching_post(self, plan_id):
        from kinerja_admin import feedback

        plan = self._plan(plan_id)
        return self._commit(plan, lambda: feedback.add_coaching(db.session, plan, request.form.get("kind"),
                                                                request.form.get("body")),
                            "Catatan bimbingan/konseling disimpan.", "bimbingan")

    # --- the assessment page ----------------------------------------------------------------------------
    @expose("/<int:plan_id>/nilai", methods=["GET", "POST"])
    def assessment(self, plan_id):
        plan = self._plan(plan_id)
        doc = document.document(db.session, plan, current_user)
        rows, rules = doc["targets"], doc["rules"]
        error, posted, status = None, None, 200
        if request.method == "POST":
            action = request.form.get("action", "preview")
            try:
                posted = assessment.read_form(request.form, rows)
                if action in ("save", "save_assess"):
                    assessment.save(db.session, plan, rows, posted)
                    if action == "save_assess":
                        plan_flow.assess(db.session, current_user, plan)
                    db.session.commit()
                    if action == "save_assess":
                        flash("Penilaian disimpan dan SKP ditetapkan berstatus Dinilai.", "success")
                        return redirect(plan_url(plan.id, "status"))
                    flash("Penilaian disimpan. SKP belum ditetapkan berstatus Dinilai.", "success")
                    return redirect(url_for(".assessment", plan_id=plan.id))
            except WorkflowError as err:
                db.session.rollback()
                error, status = str(err), 400
            except (StaleDataError, IntegrityError):
                db.session.rollback()
                error, status = CONFLICT_MESSAGE, 400
            if error is not None:  # the page again from what is stored now, with the input kept
                plan = self._plan(plan_id)
                doc = document.document(db.session, plan, current_user)
                rows, rules = doc["targets"], doc["rules"]
        values = _form_values(request.form if request.method == "POST" else None, plan, rows)
        if error is not None:
            # the user has seen why: a second save from this form is made against what is stored now
            stored = _form_values(None, plan, rows)
            values["version"] = stored["version"]
            for tid, entry in values["rhk"].items():
                entry["version"] = stored["rhk"][tid]["version"]
        return self.render(
            "admin/skp/assessment.html", doc=doc, values=values, error=error, categories=CATEGORIES,
            hasil=assessment.suggestions(rows, rules),
            behaviour=assessment.behaviour(db.session, plan, rules, current_user),
            preview=assessment.predicate(rules, values["hasil_rating"], values["perilaku_rating"]),
            matrix=_matrix(rules), rater_decides=bool(rules and rules.rater_decides),
            may_assess="assess" in {a["op"] for a in doc["actions"]}, previewed=posted is not None), status


def _upload():
    """(filename, bytes) of the posted evidence file, or None when no file was chosen."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return None
    return file.filename, evidence.read_limited(file.stream)


def _allowed_formulas(doc) -> list:
    rules = doc["rules"]
    allowed = set(rules.allowed_formulas) if rules is not None else set()
    return [(code, label) for code, label in FORMULA_CHOICES if code in allowed]


def _matrix(rules) -> dict:
    """{"hasil|perilaku": predicate} for the live preview (static/skp.js)."""
    if rules is None:
        return {}
    return {f"{h}|{p}": label for (h, p), label in rules.matrix.items()}


def _form_values(form, plan: WorkPlan, rows) -> dict:
    """What the assessment form shows: the posted input, else what is stored."""
    if form is not None:
        out = {k: form.get(k, "") for k in ("version", "hasil_rating", "perilaku_rating", "innovation_note",
                                            "feedback")}
        out["innovation"] = form.get("innovation") in ("1", "y", "on", "true")
        out["rhk"] = {r.target.id: {"category": form.get(f"rhk-{r.target.id}", ""),
                                    "feedback": form.get(f"rhk-feedback-{r.target.id}", ""),
                                    "version": form.get(f"rhk-version-{r.target.id}", "")} for r in rows}
        return out
    return {"version": str(plan.version), "hasil_rating": plan.hasil_rating or "",
            "perilaku_rating": plan.perilaku_rating or "", "innovation": bool(plan.innovation),
            "innovation_note": plan.innovation_note or "", "feedback": plan.feedback or "",
            "rhk": {r.target.id: {"category": r.judgement.category if r.judgement else "",
                                  "feedback": (r.judgement.feedback or "") if r.judgement else "",
                                  "version": str(r.judgement.version) if r.judgement else ""} for r in rows}}
