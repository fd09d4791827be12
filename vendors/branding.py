"""A vendor's branding, checked: the logo (opened and re-encoded, never
stored as uploaded) and the brand colour's contrast with the text on it."""

import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# Bigger than any logo needs; refuses decompression bombs before decoding.
LOGO_MAX_PIXELS = 4096 * 4096
LOGO_MAX_SIDE = 1024
# WCAG 2 AA for normal text.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
DARK = "#111418"


def _luminance(hex_color: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_text_color(background: str) -> str:
    """White text on the brand colour when that reads (4.5:1), else dark
    text: a pale brand colour never makes the hub's buttons unreadable."""
    if contrast_ratio(background, WHITE) >= MIN_CONTRAST:
        return WHITE
    return WHITE if contrast_ratio(background, WHITE) > contrast_ratio(background, DARK) else DARK


def logo_clean(upload, *, slug: str) -> ContentFile:
    """The uploaded logo, re-encoded: PNG, JPEG or WebP up to 1 MB, opened as
    an image by Pillow (its contents decide, not its name or content type).

    Re-encoding drops whatever else the file carried (metadata, trailing
    data, a polyglot's second meaning) and caps its size; the stored name is
    ours, never the uploader's.
    """
    from PIL import Image, UnidentifiedImageError

    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo must be at most 1 MB."), code="logo_too_big")
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            if image_format not in LOGO_FORMATS:
                raise ValidationError(
                    _("Upload the logo as a PNG, JPEG or WebP image."), code="logo_format"
                )
            if width * height > LOGO_MAX_PIXELS:
                raise ValidationError(_("The logo is too large in pixels."), code="logo_pixels")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            opened.load()
            opened.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
            image: Image.Image = opened
            if image_format == "JPEG":
                image = opened.convert("RGB")
            elif opened.mode not in ("RGB", "RGBA"):
                image = opened.convert("RGBA")
            buffer = io.BytesIO()
            image.save(buffer, format=image_format)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("This file could not be read as an image."), code="logo_invalid"
        ) from exc
    name = f"{slug or 'logo'}-{secrets.token_hex(4)}.{LOGO_FORMATS[image_format]}"
    return ContentFile(buffer.getvalue(), name=name)
