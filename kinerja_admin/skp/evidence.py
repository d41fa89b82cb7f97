"""Evidence files (bukti dukung) of a realisation: what may be uploaded, checked before anything is
stored, and how a stored file is found again within the viewer's row scope.

The type is decided by the file's content (its magic bytes and, for office documents, the parts of the
zip package), never by its name or the browser's Content-Type alone: the extension must be allowed
(setting ``evidence.allowed_types``) AND the content must be a file of that type. The size limit is
the setting ``evidence.max_mb``. A refused file raises EvidenceError with an Indonesian message and
nothing is written. Files live in the database (``evidence_file``), so they share the realisation's
transaction, backups and row scope; they are served only through the SKP page.

(xlsx imports of master data have their own upload checks in kinerja_admin.excel: a different path.)
"""
from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import select

from kinerja_admin.scope import scope_condition
from kinerja_admin.settings import get_setting
from kinerja_admin.workflow.base import WorkflowError
from models import EvidenceFile, Indicator, Realisation, Target, WorkPlan


class EvidenceError(WorkflowError):
    """An upload that is refused (type, size, empty); nothing is stored."""


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    check: str  # how the content is recognised (see _matches)


OOXML = "application/vnd.openxmlformats-officedocument."
ODF = "application/vnd.oasis.opendocument."
# every type the checks below can recognise; which of them are accepted is the setting's
KINDS = {
    "pdf": Kind("PDF", "application/pdf", "pdf"),
    "jpg": Kind("gambar JPEG", "image/jpeg", "jpeg"),
    "jpeg": Kind("gambar JPEG", "image/jpeg", "jpeg"),
    "png": Kind("gambar PNG", "image/png", "png"),
    "docx": Kind("dokumen Word", OOXML + "wordprocessingml.document", "ooxml:word/"),
    "xlsx": Kind("lembar kerja Excel", OOXML + "spreadsheetml.sheet", "ooxml:xl/"),
    "pptx": Kind("presentasi PowerPoint", OOXML + "presentationml.presentation", "ooxml:ppt/"),
    "odt": Kind("dokumen OpenDocument", ODF + "text", "odf:" + ODF + "text"),
    "ods": Kind("lembar kerja OpenDocument", ODF + "spreadsheet", "odf:" + ODF + "spreadsheet"),
    "odp": Kind("presentasi OpenDocument", ODF + "presentation", "odf:" + ODF + "presentation"),
    "doc": Kind("dokumen Word 97-2003", "application/msword", "ole"),
    "xls": Kind("lembar kerja Excel 97-2003", "application/vnd.ms-excel", "ole"),
    "ppt": Kind("presentasi PowerPoint 97-2003", "application/vnd.ms-powerpoint", "ole"),
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def allowed_extensions(session=None) -> list[str]:
    raw = str(get_setting("evidence.allowed_types", session))
    return [e for e in (x.strip().lower().lstrip(".") for x in raw.split(",")) if e in KINDS]


def max_bytes(session=None) -> int:
    return max(1, int(get_setting("evidence.max_mb", session))) * 1024 * 1024


def limits_text(session=None) -> str:
    """'PDF, JPG, PNG, DOCX ...; paling besar 5 MB' for the upload form."""
    exts = ", ".join(e.upper() for e in allowed_extensions(session))
    return f"{exts}; paling besar {max_bytes(session) // (1024 * 1024)} MB"


def clean_filename(name: str | None) -> str:
    """The file's own name without any directory part or control characters (shown and offered on
    download, never used as a path)."""
    raw = (name or "").strip()
    base = PureWindowsPath(PurePosixPath(raw).name).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def _zip_names(data: bytes) -> set[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _odf_mimetype(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            with zf.open("mimetype") as fh:  # the first part of an ODF package; read a bounded amount
                return fh.read(100).decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, RuntimeError, NotImplementedError):
        return None


def _matches(kind: Kind, data: bytes) -> bool:
    check = kind.check
    if check == "pdf":
        return data.startswith(b"%PDF-")
    if check == "jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if check == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if check == "ole":
        return data.startswith(OLE_MAGIC)
    if check.startswith("ooxml:"):
        if not data.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(data)
        prefix = check.partition(":")[2]
        return names is not None and "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)
    if check.startswith("odf:"):
        return data.startswith(b"PK\x03\x04") and _odf_mimetype(data) == check.partition(":")[2]
    return False


def check_upload(filename: str | None, data: bytes, session=None) -> tuple[str, Kind]:
    """(clean name, kind) of an acceptable upload, or EvidenceError with the reason."""
    name = clean_filename(filename)
    if not name:
        raise EvidenceError("Berkas bukti tidak memiliki nama; pilih berkas lalu unggah kembali.")
    limit = max_bytes(session)
    if len(data) > limit:
        raise EvidenceError(f"Berkas '{name}' terlalu besar ({_mb(len(data))}); paling besar "
                            f"{limit // (1024 * 1024)} MB. Tidak ada yang disimpan.")
    if not data:
        raise EvidenceError(f"Berkas '{name}' kosong. Tidak ada yang disimpan.")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    allowed = allowed_extensions(session)
    if ext not in allowed:
        raise EvidenceError(f"Jenis berkas '{name}' tidak diizinkan. Jenis yang diizinkan: "
                            f"{', '.join(e.upper() for e in allowed)}. Tidak ada yang disimpan.")
    kind = KINDS[ext]
    if not _matches(kind, data):
        raise EvidenceError(f"Isi berkas '{name}' bukan {kind.label} seperti nama berkasnya; berkas ditolak dan "
                            "tidak ada yang disimpan.")
    return name, kind


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB".replace(".", ",")


def read_limited(stream, session=None) -> bytes:
    """Read an upload stream, at most one byte more than the limit (enough to know it is too big)."""
    return stream.read(max_bytes(session) + 1)


def attach(session, realisation: Realisation, filename: str | None, data: bytes) -> EvidenceFile:
    """Check the upload and add it to the realisation (the caller's transaction; the record policy's
    guard decides whether the acting user may add evidence to this realisation now)."""
    name, kind = check_upload(filename, data, session)
    row = EvidenceFile(realisation=realisation, filename=name, content_type=kind.content_type, size=len(data),
                       sha256=hashlib.sha256(data).hexdigest(), content=data)
    session.add(row)
    return row


def scoped_file(session, user, plan_id: int, file_id: int) -> EvidenceFile | None:
    """The file when it belongs to that plan and the plan is inside the user's row scope."""
    stmt = (select(EvidenceFile)
            .join(Realisation, Realisation.id == EvidenceFile.realisation_id)
            .join(Indicator, Indicator.id == Realisation.indicator_id)
            .join(Target, Target.id == Indicator.target_id)
            .join(WorkPlan, WorkPlan.id == Target.work_plan_id)
            .where(EvidenceFile.id == file_id, WorkPlan.id == plan_id))
    cond = scope_condition(WorkPlan, user)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalar(stmt)
