"""Upload bombs (issue 15): refused from the zip central directory (and a sheet's <dimension>)
before anything big is decompressed, with a message, and nothing written. The time each refusal
takes is measured by scripts/bench_import.py --bombs, not asserted here."""
from __future__ import annotations

import io
import struct
import zipfile

import pytest

from kinerja_admin.excel import reader
from tests.test_excel_import import _assert_rejected, _sheet_path, workbook


def _rebuild(data: bytes, *, replace=None, add=()) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = (replace or {}).get(item.filename)
            dst.writestr(item.filename, body if body is not None else src.read(item.filename))
        for name, body in add:
            dst.writestr(name, body)
    return out.getvalue()


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """Patch the uncompressed size that the central directory (and the local header) declare for
    `name`: a small file claiming a 4 GB member, as the issue's 4 MB file did."""
    buf = bytearray(data)
    encoded = name.encode()
    for sig, offset, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        pos = 0
        while (pos := buf.find(sig, pos)) >= 0:
            if buf[pos + name_at:pos + name_at + len(encoded)] == encoded:
                buf[pos + offset:pos + offset + 4] = struct.pack("<I", size)
            pos += 4
    return bytes(buf)


def test_huge_shared_strings_are_refused(app):
    many = "".join(f"<si><t>teks {i} {'x' * 40}</t></si>" for i in range(reader.MAX_SHARED_STRINGS // 50 + 10))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
           f'spreadsheetml/2006/main">{many}</sst>')
    original = workbook()
    if "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(original)).namelist():
        data = _rebuild(original, replace={"xl/sharedStrings.xml": xml})
    else:
        data = _rebuild(original, add=[("xl/sharedStrings.xml", xml)])
    _assert_rejected(data, "teks bersama", "ditolak sebelum dibuka")


def test_a_member_declaring_4_gb_is_refused_without_decompressing(app):
    name = "xl/media/image1.bin"
    data = _declare_size(_rebuild(workbook(), add=[(name, b"\0" * 1000)]), name, 4_000_000_000)
    _assert_rejected(data, "image1.bin", "setelah dibuka")


def test_high_compression_ratio_is_refused(app):
    _assert_rejected(_rebuild(workbook(), add=[("xl/media/zeros.bin", b"\0" * (3 * reader.MB))]),
                     "memampat")


def test_too_many_members_are_refused(app):
    junk = [(f"xl/media/p{i}.bin", b"x") for i in range(reader.MAX_MEMBERS + 1)]
    _assert_rejected(_rebuild(workbook(), add=junk), "bagian, paling banyak")


@pytest.mark.parametrize("with_dimension", [True, False])
def test_a_10000_column_sheet_is_refused(app, with_dimension):
    data = workbook()
    src = zipfile.ZipFile(io.BytesIO(data))
    target = _sheet_path(src, "Pegawai")
    xml = src.read(target).decode()
    cells = "".join(f'<c r="{_col(i)}1" t="inlineStr"><is><t>k{i}</t></is></c>' for i in range(1, 10_001))
    import re

    xml = re.sub(r'<row r="1"[^>]*>.*?</row>', f'<row r="1">{cells}</row>', xml, count=1, flags=re.S)
    if with_dimension:
        xml = re.sub(r'<dimension ref="[^"]+"/>', '<dimension ref="A1:NTP10"/>', xml)
    else:
        xml = re.sub(r'<dimension ref="[^"]+"/>', "", xml)
    _assert_rejected(_rebuild(data, replace={target: xml}), "kolom, paling banyak")


def _col(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def test_email_is_checked_by_a_real_validator(app):
    from tests.test_excel_import import EMPLOYEES

    bad = [EMPLOYEES[0][:7] + ["budi@@binjai", "Ya"]] + list(EMPLOYEES[1:])
    _assert_rejected(workbook(employees=bad), "Alamat surel tidak valid")


def test_lengths_come_from_the_models(app):
    from tests.test_excel_import import UNITS

    long_kind = [["X1", "Dinas Uji", "J" * 41, None, "Ya"]] + list(UNITS[1:])
    _assert_rejected(workbook(units=long_kind), "Jenis Unit paling panjang 40 karakter")


def test_the_programs_import_refuses_the_same_bombs(app):
    """The programs workbook (Kinerja Organisasi > Impor Program) is read through the same checks."""
    from kinerja_admin.planning.importer import import_programs
    from kinerja_admin.planning.template import build_template
    from models import OrgIndicator, db

    name = "xl/media/image1.bin"
    data = _declare_size(_rebuild(build_template(db.session), add=[(name, b"\0" * 1000)]), name, 4_000_000_000)
    before = db.session.scalar(db.select(db.func.count()).select_from(OrgIndicator))
    report = import_programs(data, session=db.session)
    assert not report.ok and any("image1.bin" in str(e) for e in report.errors)
    assert db.session.scalar(db.select(db.func.count()).select_from(OrgIndicator)) == before
