"""What organizers upload or write, made safe: Markdown sanitised by nh3, images checked by their
bytes, PDFs rendered to page images (WeChat's Android browser shows no PDF inline), mp4 checked.

Files are stored under ``folder`` with random names; nothing a person typed becomes a path.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Image formats by their first bytes (never by the name or the browser's Content-Type).
IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
MAX_IMAGE_PIXELS = 40_000_000
PAGE_WIDTH_PX = 750  # 375 CSS px at a phone's 2x density


class UploadError(ValueError):
    """An upload refused; the message (Chinese) is shown as is."""


_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """Markdown (raw HTML allowed in it) → HTML with only the allow-listed tags, attributes and
    link schemes: scripts, event attributes and javascript: links do not survive."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def new_file_id() -> str:
    return secrets.token_hex(16)


def _mb(limit_bytes: int) -> str:
    return f"{limit_bytes / 1048576:g} MB"


def read_limited(stream: BinaryIO, limit: int, what: str) -> bytes:
    """The whole upload, refused when over ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"{what}超过 {_mb(limit)} 上限，请压缩后再上传")
    if not data:
        raise UploadError(f"{what}是空的")
    return data


def check_image(data: bytes) -> str:
    """The image's MIME type when ``data`` really is a PNG, JPEG or GIF; UploadError else."""
    kind = next((mime for magic, mime in IMAGE_MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise UploadError("只能上传 PNG、JPG 或 GIF 图片")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise UploadError("图片尺寸过大，请缩小后再上传")
            img.verify()
    except UploadError:
        raise
    except Exception as exc:  # Pillow raises many kinds for a damaged file
        raise UploadError("图片文件已损坏，无法识别") from exc
    return kind


@dataclass(frozen=True)
class RenderedPdf:
    pages: list[bytes]  # JPEG per page, in order


def render_pdf(data: bytes, max_pages: int) -> RenderedPdf:
    """Each page of a PDF as a JPEG 750 px wide; UploadError for anything not a readable PDF."""
    if not data.startswith(b"%PDF-"):
        raise UploadError("只能上传 PDF 文件（文件内容不是 PDF）")
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UploadError("PDF 文件已损坏或已加密，无法打开") from exc
    try:
        count = len(pdf)
        if count == 0:
            raise UploadError("PDF 文件没有页面")
        if count > max_pages:
            raise UploadError(f"PDF 共 {count} 页，超过 {max_pages} 页上限，请拆分后上传")
        pages = []
        for index in range(count):
            page = pdf[index]
            try:
                scale = PAGE_WIDTH_PX / max(page.get_width(), 1)
                image = page.render(scale=scale).to_pil().convert("RGB")
                out = io.BytesIO()
                image.save(out, "JPEG", quality=80, optimize=True)
                pages.append(out.getvalue())
            finally:
                page.close()
        return RenderedPdf(pages)
    finally:
        pdf.close()


def check_mp4(head: bytes) -> None:
    """An MP4 names its box type "ftyp" at bytes 4–8."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise UploadError("只能上传 MP4 格式的视频")


def store(folder: Path, data: bytes) -> tuple[str, int]:
    """Write ``data`` under a new random name; (file id, size)."""
    folder.mkdir(parents=True, exist_ok=True)
    file_id = new_file_id()
    (folder / file_id).write_bytes(data)
    return file_id, len(data)


def store_stream(folder: Path, stream: BinaryIO, limit: int, what: str) -> tuple[str, int]:
    """Copy an upload to a new random name in chunks, refusing it past ``limit`` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    file_id = new_file_id()
    path = folder / file_id
    size = 0
    try:
        with path.open("wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise UploadError(f"{what}超过 {_mb(limit)} 上限，请压缩后再上传")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return file_id, size


def upload_folder(instance_path: str | Path) -> Path:
    """Where study files live: the instance folder's uploads/study."""
    return Path(instance_path) / "uploads" / "study"


def path_of(folder: Path, file_id: str) -> Path:
    """Where a stored file lives; ids are hex only, so no id can leave the folder."""
    if not file_id or any(c not in "0123456789abcdef" for c in file_id):
        raise UploadError("文件编号无效")
    return folder / file_id
