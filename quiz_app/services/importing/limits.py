"""Hostile-file checks run before any parser sees the bytes: size, zip bombs, XML DTD/entities."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

MIB = 1024 * 1024

MSG_NOT_XLSX = "文件不是有效的 .xlsx（可能已损坏或并非 Excel 文件）"
MSG_BOMB = "文件解压后过大，疑似压缩炸弹，已拒绝"
MSG_UNSAFE_XML = "文件包含不安全的 XML 内容（DTD/实体），已拒绝"


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one upload; small values are handy in tests."""

    max_bytes: int = 10 * MIB
    max_rows: int = 20_000
    max_unzipped_bytes: int = 100 * MIB
    max_ratio: float = 100
    max_members: int = 1000


DEFAULT_LIMITS = Limits()

# Members smaller than this cannot do harm even when highly compressible (a tiny XML part of
# repeated tags easily compresses 100:1), so the ratio rule applies only above it.
_RATIO_FLOOR = 256 * 1024
_CHUNK = 256 * 1024


class HostileFile(Exception):
    """Raised with the Chinese message to show; the file is refused as a whole."""


def size_message(size: int, limits: Limits) -> str | None:
    """The refusal text when the upload is larger than allowed, else None."""
    if size > limits.max_bytes:
        return (
            f"文件大小为 {size / MIB:.1f} MB，超过上限 {limits.max_bytes / MIB:.0f} MB，"
            "请拆分后分批上传"
        )
    return None


def open_zip(data: bytes, limits: Limits, not_zip_message: str = MSG_NOT_XLSX) -> zipfile.ZipFile:
    """Open a zip only after its central directory shows it cannot blow up memory.

    Python's zipfile never returns more bytes than a member declares, so checking the declared
    sizes and ratios bounds everything read later (by us or by openpyxl/python-docx).
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise HostileFile(not_zip_message) from exc
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise HostileFile(
            f"文件包含 {len(infos)} 个内部部件，超过上限 {limits.max_members}，已拒绝"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and (
            info.compress_size <= 0 or info.file_size / info.compress_size > limits.max_ratio
        ):
            raise HostileFile(MSG_BOMB)
    if total > limits.max_unzipped_bytes:
        raise HostileFile(MSG_BOMB)
    return zf


class _Unsafe(Exception):
    pass


def _refuse(*_args: object) -> None:
    raise _Unsafe


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"')
# A formula cell closed without a <v> cached value: openpyxl would silently read it as empty.
_FORMULA_NO_VALUE_RE = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+\d+)"[^>]*>\s*'
    rb"(?:<(?:\w+:)?f\b[^>]*/>|<(?:\w+:)?f\b[^>]*>[^<]*</(?:\w+:)?f>)\s*</(?:\w+:)?c>"
)


@dataclass
class SheetScan:
    """Facts about the imported worksheet gathered by the safety scan (no second read)."""

    merges: list[str] = field(default_factory=list)
    formulas_without_value: set[str] = field(default_factory=set)


def scan_xml_members(
    zf: zipfile.ZipFile, sheet_paths: Collection[str] = ()
) -> dict[str, SheetScan]:
    """Refuse any XML part that declares a DTD or entities (billion laughs, external entities).

    UTF-8 parts get a byte search; parts in other encodings go through expat with DTD handlers
    that refuse, so a UTF-16 part cannot hide a DOCTYPE. For the worksheets being imported the
    scan also records merged ranges and formula cells without a cached value (by part name).
    """
    scans = {path: SheetScan() for path in sheet_paths}
    for info in zf.infolist():
        name = info.filename
        if info.is_dir() or not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with zf.open(info) as fh:
                if _scan_fast(fh, scans.get(name)):
                    continue
            with zf.open(info) as fh:
                _scan_expat(fh)
        except _Unsafe as exc:
            raise HostileFile(MSG_UNSAFE_XML) from exc
        except expat.ExpatError as exc:
            raise HostileFile(MSG_NOT_XLSX) from exc
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise HostileFile(MSG_NOT_XLSX) from exc
    return scans


_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")


def _scan_fast(fh: IO[bytes], scan: SheetScan | None) -> bool:
    """Byte search for DTD markers in a UTF-8/ASCII part (what Excel and WPS write).

    Returns False, without judging, when the part is in another encoding (UTF-16 …): there a
    DOCTYPE would not appear as these bytes, so the caller falls back to expat.
    """
    pending = b""
    first = True
    while chunk := fh.read(_CHUNK):
        if first:
            first = False
            head = chunk[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
            if not head.startswith(b"<") or b"\x00" in head:
                return False
        window = pending[-16:] + chunk
        if any(marker in window for marker in _DTD_MARKERS):
            raise _Unsafe
        pending = _collect_complete(pending + chunk, scan) if scan is not None else chunk[-16:]
    if scan is not None:
        _collect(pending, scan)
    return True


def _scan_expat(fh: IO[bytes]) -> None:
    """Stream a part through expat with DTD and entity declarations forbidden; expat detects the
    encoding itself."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    while chunk := fh.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _collect_complete(buf: bytes, scan: SheetScan) -> bytes:
    """Scan the part of buf that ends with a complete row (or tag); return the rest for later."""
    cut = buf.rfind(b"row>")  # </row> or </x:row>
    cut = cut + 4 if cut >= 0 else buf.rfind(b">") + 1
    if cut <= 0:
        return buf
    _collect(buf[:cut], scan)
    return buf[cut:]


def _collect(buf: bytes, scan: SheetScan) -> None:
    # Cheap substring tests first: most banks have neither merges nor formulas.
    if b"mergeCell" in buf:
        for m in _MERGE_RE.finditer(buf):
            scan.merges.append(m.group(1).decode("ascii").upper())
    if b"<f>" in buf or b"<f " in buf or b":f>" in buf or b":f " in buf:
        for m in _FORMULA_NO_VALUE_RE.finditer(buf):
            scan.formulas_without_value.add(m.group(1).decode("ascii"))
