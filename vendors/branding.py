"""A vendor's branding, checked: the logo (opened and re-encoded, never
stored as uploaded) and the brand colour's contrast wherever the hub uses it."""

import functools
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
# WCAG 2.1 AA: 4.5:1 for normal text (1.4.3), 3:1 for the lines and marks
# that say where one is, such as the current tab's underline (1.4.11).
MIN_CONTRAST = 4.5
MIN_CONTRAST_NON_TEXT = 3.0
# A hair over each line: checkers (axe-core) use a slightly different sRGB
# threshold than WCAG 2.1's text, enough to flip a ratio of 4.50 (dark text
# on #ee3311 is 4.5001:1).
CHECKER_MARGIN = 0.02
WHITE = "#ffffff"
DARK = "#111418"
BLACK = "#000000"
# The light backgrounds of static/hub.css that brand-coloured text sits on:
# cards (white), the page (--bg) and the alerts (--danger-bg, --ok-bg,
# --warn-bg, .alert--info). A shade that reads on the darkest reads on all.
TEXT_BACKGROUNDS = (WHITE, "#f5f7f9", "#fdecea", "#e7f5ec", "#fff4dc", "#eef4fb")
# Lines in the brand colour are drawn on the header (white) and the page.
LINE_BACKGROUNDS = (WHITE, "#f5f7f9")


def _luminance(hex_color: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The three colours below are pure functions of the brand colour, asked for
# on every hub page (base.html's <style>): each process keeps the answers.
# A pale colour's shade is a 20-step search over six backgrounds.
@functools.lru_cache(maxsize=256)
def readable_text_color(background: str) -> str:
    """White text on the brand colour when that reads (4.5:1), else dark
    text: a pale brand colour never makes the hub's buttons unreadable.

    Our dark ink falls short of 4.5:1 on a band of middle colours (around
    #7a7a7a neither it nor white reaches it); black reaches at least 4.58:1
    on any colour that white does not."""
    if contrast_ratio(background, WHITE) >= MIN_CONTRAST + CHECKER_MARGIN:
        return WHITE
    if contrast_ratio(background, DARK) >= MIN_CONTRAST + CHECKER_MARGIN:
        return DARK
    return BLACK


def _hex(channels: list[float]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in channels)


def _darkened(color: str, *, backgrounds: tuple[str, ...], ratio: float) -> str:
    """`color` as it is when it meets `ratio` on every one of `backgrounds`,
    else the lightest shade of it (its channels scaled down together, which
    keeps its hue) that does.

    Darkening only: every background here is light, so a darker shade
    always gets there (black reaches 17:1 on the darkest of them).
    """

    def meets(candidate: str) -> bool:
        return all(contrast_ratio(candidate, bg) >= ratio + CHECKER_MARGIN for bg in backgrounds)

    if meets(color):
        return color
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    low, high = 0.0, 1.0  # scale factors: `low` always meets the ratio
    for _step in range(20):
        middle = (low + high) / 2
        if meets(_hex([c * middle for c in channels])):
            low = middle
        else:
            high = middle
    shade = _hex([c * low for c in channels])
    return shade if meets(shade) else BLACK


@functools.lru_cache(maxsize=256)
def brand_ink_color(brand: str) -> str:
    """The brand colour for text on the hub's light backgrounds (links,
    secondary buttons, Sign out): itself, or a darker shade of it that reads
    at 4.5:1. A pale brand colour (#f2b705: 1.8:1 on white) stays recognisable
    without leaving text unreadable."""
    return _darkened(brand, backgrounds=TEXT_BACKGROUNDS, ratio=MIN_CONTRAST)


@functools.lru_cache(maxsize=256)
def brand_line_color(brand: str) -> str:
    """The brand colour for lines that carry meaning (the header's top
    border, the current tab's underline): itself, or a darker shade that
    stands out at 3:1."""
    return _darkened(brand, backgrounds=LINE_BACKGROUNDS, ratio=MIN_CONTRAST_NON_TEXT)


def brand_hover_color(brand: str) -> str:
    """The button's background under the pointer: the brand colour moved
    away from its text colour (darker under white text, lighter under dark
    text), so the hover state never reads worse than the button at rest.

    A filter such as brightness(.93) darkens the text with the background:
    under dark text on a middle colour (#ee3311) that drops 4.5:1 to 4.0:1.
    """
    text = readable_text_color(brand)
    channels = [int(brand[i : i + 2], 16) for i in (1, 3, 5)]
    darker = _hex([c * 0.85 for c in channels])
    lighter = _hex([c + (255 - c) * 0.2 for c in channels])
    # Black has no darker shade and white no lighter one: go the other way,
    # as far as the text still reads.
    for shade in (darker, lighter) if text == WHITE else (lighter, darker):
        if shade != brand and contrast_ratio(shade, text) >= MIN_CONTRAST:
            return shade
    return brand


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
