"""Photos on the resident's page (随手拍): each held as soon as it is chosen, written anew as a plain upright
JPEG without its EXIF, its GPS offered as the place; sent with the report as the order's attachments; anything
that is not a photo we can read refused in Chinese; nothing a resident sends served back as it came."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime, timedelta
from fractions import Fraction
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import select

from minhu.config import Settings
from minhu.core import clock
from minhu.intake import photos
from minhu.orders.models import Attachment, WorkOrder
from tests.intake.test_pages import csrf_of

# 积玉桥街, as a phone's GPS writes it: degrees, minutes, seconds.
LAT, LON = 30.5526, 114.3053


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10_000)


def phone_photo(fmt: str = "JPEG", *, size: tuple[int, int] = (3000, 2000), gps: bool = True,
                orientation: int | None = 6) -> bytes:
    """A photo as a phone saves it: large, with its camera, owner, orientation and position in EXIF."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1] // 4))  # a mark in the top-left quarter
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Artist] = "王女士 13812345678"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: _dms(LAT),
                                       ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: _dms(LON)}
    out = BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def form_page(client: TestClient) -> str:
    return csrf_of(client.get("/public/report").text)


def upload(client: TestClient, csrf: str, data: bytes, name: str = "IMG_0001.jpg",
           content_type: str = "image/jpeg"):
    return client.post("/public/photos", files={"photo": (name, data, content_type)},
                       headers={"X-CSRF-Token": csrf, "Accept": "application/json"})


def held_file(settings: Settings, token: str) -> Path:
    path = photos.path_of(settings.attachments_dir, token)
    assert path is not None
    return path


def test_a_phone_photo_is_kept_upright_smaller_and_without_exif_its_position_offered(client, settings, world):
    csrf = form_page(client)
    answer = upload(client, csrf, phone_photo())

    assert answer.status_code == 201, answer.text
    kept = answer.json()
    assert kept["position"]["latitude"] == pytest.approx(LAT, abs=1e-5)
    assert kept["position"]["longitude"] == pytest.approx(LON, abs=1e-5)
    # Orientation 6 (rotated for display): the kept photo is upright, portrait, and no side over 2048.
    assert (kept["width"], kept["height"]) == (1365, 2048)
    shown = client.get(kept["url"])
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["x-content-type-options"] == "nosniff"
    with Image.open(BytesIO(shown.content)) as image:
        assert image.format == "JPEG"
        assert image.size == (1365, 2048)
        assert not image.getexif(), "no camera, owner or position left in the photo"
        assert "exif" not in image.info
    assert b"HUAWEI" not in shown.content
    assert b"13812345678" not in shown.content


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_other_formats_phones_write_are_read_and_kept_as_jpeg(client, settings, world, fmt):
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()
    data = phone_photo(fmt, size=(1200, 900), gps=fmt != "PNG", orientation=None)
    answer = upload(client, form_page(client), data, name=f"photo.{fmt.lower()}")
    assert answer.status_code == 201, answer.text
    assert (answer.json()["width"], answer.json()["height"]) == (1200, 900)
    with Image.open(held_file(settings, answer.json()["token"])) as image:
        assert image.format == "JPEG"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` × ``height`` pixels in a few dozen bytes: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "name", "code"), [
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'></svg>", "photo.jpg", "not_a_photo"),
    (b"<!doctype html><script>alert(document.cookie)</script>", "photo.jpg", "not_a_photo"),
    (b"%PDF-1.7 a document, not a photo", "scan.jpg", "not_a_photo"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "broken.jpg", "unreadable_photo"),
    (_png_header_only(60_000, 60_000), "bomb.png", "photo_too_large"),
    (b"", "empty.jpg", "not_a_photo"),
])
def test_what_is_not_a_photo_we_can_read_is_refused_in_chinese(client, settings, world, data, name, code):
    answer = upload(client, form_page(client), data, name=name)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", error["message"])
    assert error["details"][0]["field"] == "photo"
    staged = settings.attachments_dir / photos.STAGED
    assert not staged.exists() or not [p for p in staged.iterdir() if p.suffix == ".jpg"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(client, settings, world):
    answer = upload(client, form_page(client), b"\xff\xd8\xff" + b"\x00" * (settings.max_upload_bytes + 1))
    assert answer.status_code == 413


def test_nine_photos_at_most(client, world):
    csrf = form_page(client)
    small = phone_photo(size=(64, 48), gps=False, orientation=None)
    for _ in range(photos.MAX_PHOTOS):
        assert upload(client, csrf, small).status_code == 201
    tenth = upload(client, csrf, small)
    assert tenth.status_code == 422
    assert tenth.json()["error"]["code"] == "too_many_photos"


def _report(client: TestClient, csrf: str, tokens: list[str], idem: str = "r-photos"):
    return client.post("/public/report", data={
        "csrf_token": csrf, "idem": idem, "type": "complaint", "title": "幸福里小区3栋路灯不亮",
        "content": "3栋门口的路灯坏了一个多星期。", "citizen_phone": "13655556666", "photos": tokens})


def test_the_report_takes_its_photos_as_the_orders_attachments_once(client, db, settings, world):
    csrf = form_page(client)
    tokens = [upload(client, csrf, phone_photo(size=(800, 600))).json()["token"] for _ in range(2)]

    sent = _report(client, csrf, tokens)
    again = _report(client, csrf, tokens)  # the resident taps 提交 twice

    assert sent.status_code == 200
    assert "已附 2 张现场照片" in sent.text
    number = re.search(r'id="order-number">([A-Z0-9]+)<', sent.text).group(1)
    assert re.search(r'id="order-number">([A-Z0-9]+)<', again.text).group(1) == number
    with db.read() as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
        kept = s.scalars(select(Attachment).where(Attachment.order_id == order.id)).all()
    assert [a.filename for a in kept] == ["现场照片1.jpg", "现场照片2.jpg"]
    assert {a.content_type for a in kept} == {"image/jpeg"}
    for attachment in kept:
        with Image.open(settings.attachments_dir / attachment.storage_key) as image:
            assert not image.getexif()
    assert all(photos.path_of(settings.attachments_dir, t) is None for t in tokens), "no longer held"


def test_a_multipart_report_with_a_photo_keeps_its_text_and_line_breaks(client, db, world):
    csrf = form_page(client)
    photo = upload(client, csrf, phone_photo(size=(400, 300)))
    assert photo.status_code == 201, photo.text
    fields = {"csrf_token": csrf, "idem": "r-multipart", "type": "complaint", "title": "幸福里小区3栋路灯不亮",
              "content": "路灯不亮。\r\n\t已经一个多星期了。", "citizen_phone": "13655556666",
              "photos": photo.json()["token"]}
    sent = client.post("/public/report", files=[(name, (None, value.encode())) for name, value in fields.items()])
    assert sent.status_code == 200, sent.text
    assert "已附 1 张现场照片" in sent.text
    with db.read() as s:
        order = s.scalars(select(WorkOrder)).one()
    assert (order.title, order.content) == ("幸福里小区3栋路灯不亮", "路灯不亮。\r\n\t已经一个多星期了。")


def test_a_photo_is_seen_and_sent_only_from_the_browser_that_added_it(app, client, db, settings, world):
    token = upload(client, form_page(client), phone_photo(size=(320, 240))).json()["token"]
    with TestClient(app) as stranger:
        assert stranger.get(f"/public/photos/{token}").status_code == 404
        sent = _report(stranger, form_page(stranger), [token], idem="r-stranger")
    assert sent.status_code == 200
    with db.read() as s:
        assert s.scalars(select(Attachment)).all() == [], "a token from another browser is not taken"
    assert photos.path_of(settings.attachments_dir, token) is not None


def test_a_removed_photo_is_gone(client, settings, world):
    csrf = form_page(client)
    token = upload(client, csrf, phone_photo(size=(320, 240))).json()["token"]
    removed = client.post(f"/public/photos/{token}/remove", headers={"X-CSRF-Token": csrf})
    assert removed.status_code == 204
    assert photos.path_of(settings.attachments_dir, token) is None
    assert client.get(f"/public/photos/{token}").status_code == 404


def test_a_photo_never_sent_is_removed_after_a_day(client, settings, world):
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    csrf = form_page(client)
    small = phone_photo(size=(64, 48), gps=False, orientation=None)
    with clock.frozen(start):
        forgotten = upload(client, csrf, small).json()["token"]
    with clock.frozen(start + timedelta(hours=23)):
        kept = upload(client, csrf, small).json()["token"]
        assert photos.path_of(settings.attachments_dir, forgotten) is not None, "held for a day"
    with clock.frozen(start + timedelta(hours=24, minutes=1)):
        upload(client, csrf, small)
    assert photos.path_of(settings.attachments_dir, forgotten) is None
    assert photos.path_of(settings.attachments_dir, kept) is not None
