"""Photos residents send from their phones: read whatever a phone takes (JPEG, PNG, WebP, HEIC), the place it
was taken kept aside, then written anew as a plain JPEG no larger than ``MAX_SIDE`` pixels with no metadata.

What is kept is always a JPEG this module encoded, never the bytes received: a file that only claims to be a
photo (an SVG, an HTML page, a script) is refused, and nothing a resident sends is ever served back as it came.
The EXIF block — camera, owner, time and the GPS position — is dropped; the position is offered to the resident
as the place of the problem (a phone's GPS writes WGS-84 coordinates, as its browser reports them).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from minhu.core.errors import field_error
from minhu.core.files import sniff

pillow_heif.register_heif_opener()

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"})
# The long side kept: enough to read a sign or a meter on a 2K screen, a few hundred kilobytes.
MAX_SIDE = 2048
# The most pixels read. A JPEG is decoded at a fraction of its size (``draft``), so a 108-megapixel phone photo
# costs little: JPEGs go up to the bound at which Pillow refuses any image (twice its warning bound, about 179
# megapixels). Other formats are decoded whole (a 90-megapixel PNG takes about 270 MB), so they stop at the
# warning bound. More is a decompression bomb, refused before its pixels are read.
MAX_OTHER_PIXELS = 89_478_485  # Image.MAX_IMAGE_PIXELS
MAX_JPEG_PIXELS = 2 * MAX_OTHER_PIXELS
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    width: int
    height: int
    # Where it was taken, from its EXIF GPS (WGS-84), when the phone recorded it.
    latitude: float | None = None
    longitude: float | None = None


def prepare(raw: bytes, *, field: str = "photo") -> Photo:
    """Read a photo and encode it anew. Raises InvalidInput (``not_a_photo``, ``unreadable_photo``,
    ``photo_too_large``) with a message for the resident."""
    kind = sniff(raw[:4096])
    if kind is None or kind[0] not in PHOTO_TYPES:
        raise field_error(field, "只能上传照片（JPEG、PNG、WebP 或 HEIC 格式）", code="not_a_photo")
    try:
        with warnings.catch_warnings():
            # Pillow warns of what it is about to decode; the bound below is ours.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(BytesIO(raw)) as image:
                bound = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_OTHER_PIXELS
                if image.width * image.height > bound:
                    raise field_error(field, "照片像素过多，请换一张或截图后上传", code="photo_too_large")
                latitude, longitude = _position(image.getexif())
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG is decoded at a fraction of its size
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
                rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                out = BytesIO()
                rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except Image.DecompressionBombError as exc:
        raise field_error(field, "照片像素过多，请换一张或截图后上传", code="photo_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise field_error(field, "照片无法读取，文件可能已损坏", code="unreadable_photo") from exc
    return Photo(out.getvalue(), rgb.width, rgb.height, latitude, longitude)


def _position(exif: Image.Exif) -> tuple[float | None, float | None]:
    """The EXIF GPS position in decimal degrees, or (None, None) when absent, partial or impossible."""
    try:
        gps: dict[int, Any] = dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"), "S")
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _degrees(value: Any, reference: Any, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    sign = -1 if str(reference).strip().upper().startswith(negative) else 1
    return sign * (degrees + minutes / 60 + seconds / 3600)
