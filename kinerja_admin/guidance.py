"""Panduan (sosialisasi): the guidance pages BKPSDM edits in the admin, rendered safely, filled with
the period's real dates, plus each logged-in employee's own next step and the participation of
every OPD (where plans are not submitted, not approved, ratings not given).

Page bodies are a restricted Markdown: rendered with Python-Markdown, then cleaned with nh3 (the
Ammonia sanitiser) to a whitelist of tags, attributes and URL schemes; raw HTML, scripts, styles
and event handlers never reach the page, whoever edited the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import markdown as md
import nh3
from sqlalchemy import case, func, select

from models import Employee, GuidePage, Period, RaterAssignment, ScoreResult, WorkPlan
from models.base import PERIOD_STATUSES, PLAN_STATUSES

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h2", "h3", "h4", "a", "code", "pre",
                "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_slug(slug: str | None) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG.fullmatch(slug) or len(slug) > 60:
        raise ValueError("Alamat (slug) hanya boleh huruf kecil, angka dan tanda hubung, maksimal 60 karakter; "
                         "contoh: panduan-pegawai.")
    return slug


def placeholders(session, period: Period | None) -> dict[str, str]:
    """Values that page texts may name: {periode}, {mulai}, {selesai}, {status_periode},
    {hari_keberatan}."""
    from .formatting import tanggal
    from .settings import get_setting

    values = {"hari_keberatan": str(get_setting("objection.window_days", session))}
    if period is not None:
        values.update(periode=f"{period.code} ({period.name})", mulai=tanggal(period.start_date),
                      selesai=tanggal(period.end_date),
                      status_periode=PERIOD_STATUSES.get(period.status, period.status))
    else:
        values.update(periode="(belum ada periode)", mulai="-", selesai="-", status_periode="-")
    return values


def render(body: str, values: dict[str, str] | None = None) -> str:
    """Restricted Markdown -> sanitised HTML (a str safe to mark as Markup)."""
    text = body or ""
    for key, value in (values or {}).items():
        text = text.replace("{" + key + "}", value)
    html = md.markdown(text, extensions=["sane_lists", "tables"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer")


def visible_pages(session, user) -> list[GuidePage]:
    """Pages a reader may open: public pages for everyone, the rest after logging in."""
    stmt = select(GuidePage).where(GuidePage.audience != "bantuan").order_by(GuidePage.seq, GuidePage.title)
    if user is None or not getattr(user, "is_authenticated", False):
        stmt = stmt.where(GuidePage.public.is_(True))
    return list(session.scalars(stmt))


def help_text(session, slug: str) -> GuidePage | None:
    return session.scalar(select(GuidePage).where(GuidePage.slug == slug))


# --- the employee's own next step -------------------------------------------------------------------
@dataclass
class Step:
    text: str
    url: str | None = None
    link_text: str = "Buka"


def next_steps(session, user, period: Period | None, url_for) -> list[Step]:
    """What this user should do next in this period, in plain words (the guidance page and the
    dashboard). `url_for` builds links (the caller's, so that tests can pass Flask's)."""
    if user is None or not getattr(user, "is_authenticated", False) or period is None:
        return []
    from . import permissions
    from .workflow.objection import deadline

    steps: list[Step] = []
    me = getattr(user, "employee_id", None)
    code = period.code
    if me is not None:
        plan = session.scalar(select(WorkPlan).where(WorkPlan.period_id == period.id, WorkPlan.employee_id == me))
        result = session.scalar(select(ScoreResult).where(ScoreResult.period_id == period.id,
                                                          ScoreResult.employee_id == me))
        plans_url = url_for("work_plan.index_view")
        if plan is None:
            steps.append(Step(f"Anda belum memiliki SKP pada periode {code}. Hubungi operator BKPSDM di OPD Anda."))
        elif plan.status == "draft":
            steps.append(Step(f"Lengkapi sasaran (RHK) dan indikator SKP {code} Anda, lalu ajukan kepada pejabat "
                              "penilai (centang SKP, \u201cDengan yang dipilih\u201d > \u201cAjukan\u201d).",
                              plans_url, "Buka SKP saya"))
        elif plan.status == "returned":
            steps.append(Step(f"SKP {code} Anda dikembalikan pejabat penilai: \u201c{plan.return_reason or '-'}\u201d. "
                              "Perbaiki lalu ajukan kembali.", plans_url, "Perbaiki SKP"))
        elif plan.status == "submitted":
            rater = session.get(Employee, plan.rater_id) if plan.rater_id else None
            steps.append(Step(f"SKP {code} Anda sudah diajukan dan menunggu persetujuan "
                              f"{rater.name if rater else 'pejabat penilai'}."))
        elif plan.status in ("approved", "realised"):
            steps.append(Step("Catat realisasi dan bukti dukung setiap indikator SKP Anda sepanjang periode, "
                              f"paling lambat {_date(period.end_date)}.", url_for("realisation.index_view"),
                              "Catat realisasi"))
        elif result is None:
            steps.append(Step(f"SKP Anda berstatus {PLAN_STATUSES.get(plan.status, plan.status)}; hasil "
                              "penilaian akan tampil di Kinerja Saya setelah dihitung dan disetujui."))
        if result is not None and result.status == "published":
            end = deadline(session, result)
            from models.base import utcnow

            from .formatting import waktu

            if end is not None and utcnow() <= end:
                steps.append(Step(f"Hasil penilaian {code} Anda sudah diumumkan (predikat {result.predicate or '-'}). "
                                  f"Jika tidak sepakat, ajukan keberatan sampai {waktu(end)}.",
                                  url_for("me.index"), "Buka Kinerja Saya"))
            else:
                steps.append(Step(f"Hasil penilaian {code} Anda sudah diumumkan (predikat {result.predicate or '-'}).",
                                  url_for("me.index"), "Buka Kinerja Saya"))
        pending = session.scalar(select(func.count(RaterAssignment.id)).where(
            RaterAssignment.period_id == period.id, RaterAssignment.rater_id == me,
            RaterAssignment.status == "pending")) or 0
        if pending:
            steps.append(Step(f"Isi {pending} penilaian perilaku rekan, bawahan atau atasan yang ditugaskan kepada "
                              "Anda. Nilai rekan dan bawahan dirahasiakan: yang ditampilkan hanya rerata.",
                              url_for("my_ratings.index"), "Isi penilaian perilaku"))
        to_approve = session.scalar(select(func.count(WorkPlan.id)).where(
            WorkPlan.period_id == period.id, WorkPlan.rater_id == me, WorkPlan.status == "submitted")) or 0
        if to_approve:
            steps.append(Step(f"{to_approve} SKP bawahan menunggu persetujuan Anda: setujui atau kembalikan dengan "
                              "alasan.", plans_url, "Periksa SKP bawahan"))
    if permissions.can("period", user.role, "a"):
        steps.append(Step(_clerk_step(period), url_for("period.status_view", id=period.id), "Buka status periode"))
    return steps


def _clerk_step(period: Period) -> str:
    return {
        "draft": f"Periode {period.code} masih draf: tetapkan skema penilaian lalu buka tahap perencanaan.",
        "planning": "Tahap perencanaan: pantau SKP yang belum diajukan per OPD pada Beranda, lalu lanjutkan ke "
                    "tahap berjalan.",
        "running": "Tahap berjalan: pegawai mencatat realisasi; buat penugasan penilai perilaku sebelum tahap "
                   "penilaian.",
        "assessing": "Tahap penilaian: pastikan penilaian perilaku lengkap, hitung nilai (berjalan sebagai tugas "
                     "latar), setujui per OPD, lalu umumkan.",
        "closed": f"Periode {period.code} sudah ditutup dan terkunci.",
    }.get(period.status, "")


def _date(value) -> str:
    from .formatting import tanggal

    return tanggal(value)


# --- participation per OPD ----------------------------------------------------------------------------
NOT_SUBMITTED = ("draft", "returned")


def participation(session, period: Period, user) -> list[dict]:
    """Per OPD (inside the viewer's scope): plans not yet submitted (draft or returned), plans waiting for
    approval, and behaviour ratings still pending; sorted by the share not submitted, highest first, so
    BKPSDM sees where the appraisal meets resistance."""
    from .opd import tree
    from .scope import scope_condition

    t = tree(session)
    rows: dict[int, dict] = {}

    def row(unit_id):
        root = t.root_of(unit_id)
        if root not in rows:
            rows[root] = {"opd": t.units.get(root), "plans": 0, "not_submitted": 0, "waiting": 0,
                          "ratings": 0, "ratings_pending": 0}
        return rows[root]

    plan_cond = scope_condition(WorkPlan, user)
    stmt = (select(WorkPlan.unit_id, WorkPlan.status, func.count(WorkPlan.id))
            .where(WorkPlan.period_id == period.id).group_by(WorkPlan.unit_id, WorkPlan.status))
    if plan_cond is not None:
        stmt = stmt.where(plan_cond)
    for unit_id, status, n in session.execute(stmt):
        r = row(unit_id)
        r["plans"] += int(n)
        if status in NOT_SUBMITTED:
            r["not_submitted"] += int(n)
        elif status == "submitted":
            r["waiting"] += int(n)
    # ratings per ratee's plan unit in this period
    stmt = (select(WorkPlan.unit_id, func.count(RaterAssignment.id),
                   func.sum(case((RaterAssignment.status == "pending", 1), else_=0)))
            .join(WorkPlan, (WorkPlan.employee_id == RaterAssignment.ratee_id)
                  & (WorkPlan.period_id == RaterAssignment.period_id))
            .where(RaterAssignment.period_id == period.id).group_by(WorkPlan.unit_id))
    if plan_cond is not None:
        stmt = stmt.where(plan_cond)
    for unit_id, n, pending in session.execute(stmt):
        r = row(unit_id)
        r["ratings"] += int(n or 0)
        r["ratings_pending"] += int(pending or 0)
    out = []
    for r in rows.values():
        if r["opd"] is None:
            continue
        r["not_submitted_pct"] = round(r["not_submitted"] * 100 / r["plans"], 1) if r["plans"] else None
        out.append(r)
    out.sort(key=lambda r: (-(r["not_submitted_pct"] or 0), -r["waiting"], r["opd"].name))
    return out
