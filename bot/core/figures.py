"""Figures in recaps: what an image must be before anything of it is stored.

An image is judged by its content, never by its name or the type a client
claims: Pillow must recognise it as PNG, JPEG, GIF or WebP and decode it
whole (a truncated file fails here, not later in someone's browser). The
bytes are then stored as they came; width and height go with the metadata.
Pillow is imported on first use, so a bot that never sees a figure does not
carry it in memory.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from .errors import UserError
from .model import MAX_CAPTION_CHARS, MAX_FIGURE_BYTES, MAX_FIGURES, FigureUpload
from .validation import clean_text

# Pillow's format name -> the MIME type the image is served with.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
# A 5 MB file can still decode to gigabytes (a "decompression bomb"): bound the pixels too.
MAX_PIXELS = 40_000_000
ALLOWED = "PNG, JPEG, GIF or WebP"


@dataclass(frozen=True)
class CheckedFigure:
    data: bytes
    caption: str
    mime: str
    width: int
    height: int


def _which(upload: FigureUpload, position: int) -> str:
    return f"Figure {position}" + (f" ({upload.name})" if upload.name else "")


def check_figure(upload: FigureUpload, position: int = 1) -> CheckedFigure:
    """The image and its metadata, or a UserError that says what is wrong with it."""
    which = _which(upload, position)
    size = len(upload.data)
    if size == 0:
        raise UserError(f"{which} is empty. Nothing was saved.")
    if size > MAX_FIGURE_BYTES:
        raise UserError(f"{which} is {size / 1024 / 1024:.1f} MB; a figure may be at most "
                        f"{MAX_FIGURE_BYTES // 1024 // 1024} MB. Nothing was saved.")
    caption = clean_text(upload.caption, f"The caption of {which.lower()}", MAX_CAPTION_CHARS)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(upload.data)) as image:
            kind = image.format
            if kind not in FORMATS:
                raise UserError(f"{which} is a {kind or 'unknown'} image; use {ALLOWED}. Nothing was saved.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UserError(f"{which} is {width}\u00d7{height} pixels; at most {MAX_PIXELS // 1_000_000} "
                                "megapixels. Nothing was saved.")
            image.load()  # decodes every byte of the first frame: a cut-off file fails here
    except UserError:
        raise
    except UnidentifiedImageError:
        raise UserError(f"{which} is not an image recapbot can read; use {ALLOWED}. Nothing was saved.") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        raise UserError(f"{which} could not be decoded (is the file complete?). Nothing was saved.") from None
    return CheckedFigure(upload.data, caption, FORMATS[kind], width, height)


def check_figures(uploads: tuple[FigureUpload, ...]) -> list[CheckedFigure]:
    if len(uploads) > MAX_FIGURES:
        raise UserError(f"A recap holds at most {MAX_FIGURES} figures; you attached {len(uploads)}. "
                        "Nothing was saved.")
    return [check_figure(upload, i) for i, upload in enumerate(uploads, 1)]
