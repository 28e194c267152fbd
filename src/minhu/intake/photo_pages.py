"""The resident page's photos (随手拍): each chosen photo uploaded at once and held for the report, shown back
as we keep it, and taken out again. Only the browser that added a photo can see it or send it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from minhu.core.errors import NotFound, TooLarge, field_error
from minhu.intake import photos
from minhu.org.auth import CsrfProtected
from minhu.web.deps import AppSettings
from minhu.web.formdata import FormRoute

router = APIRouter(include_in_schema=False, route_class=FormRoute)
SESSION_KEY = "held_photos"
Token = Annotated[str, Path(max_length=40)]


def held_tokens(request: Request) -> list[str]:
    tokens = request.session.get(SESSION_KEY)
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def forget_tokens(request: Request, tokens: list[str]) -> None:
    request.session[SESSION_KEY] = [t for t in held_tokens(request) if t not in tokens]


@router.post("/public/photos", dependencies=[CsrfProtected])
async def add_photo(request: Request, settings: AppSettings, photo: Annotated[UploadFile, File()]) -> Response:
    """Hold one photo; answers its token, its size and where it was taken (for the page to offer)."""
    # Only photos still held count: those of a page left or reloaded expire with their day.
    held = [t for t in held_tokens(request) if photos.path_of(settings.attachments_dir, t) is not None]
    if len(held) >= photos.MAX_PHOTOS:
        raise field_error("photo", f"最多添加 {photos.MAX_PHOTOS} 张照片", code="too_many_photos")
    raw = await photo.read(settings.max_upload_bytes + 1)
    if len(raw) > settings.max_upload_bytes:
        raise TooLarge(f"照片超过 {settings.max_upload_bytes // (1024 * 1024)} MB 上限",
                       details=[{"field": "photo", "message": "照片过大"}])
    kept = await run_in_threadpool(photos.hold, settings.attachments_dir, raw)
    request.session[SESSION_KEY] = [*held, kept.token]
    position = ({"latitude": kept.latitude, "longitude": kept.longitude} if kept.latitude is not None else None)
    return JSONResponse({"token": kept.token, "url": f"/public/photos/{kept.token}", "width": kept.width,
                         "height": kept.height, "position": position}, status_code=201)


@router.get("/public/photos/{token}")
def held_photo(request: Request, token: Token, settings: AppSettings) -> Response:
    path = photos.path_of(settings.attachments_dir, token) if token in held_tokens(request) else None
    if path is None:
        raise NotFound("照片不存在或已过期", code="photo_not_found")
    return FileResponse(path, media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.post("/public/photos/{token}/remove", dependencies=[CsrfProtected])
def remove_photo(request: Request, token: Token, settings: AppSettings) -> Response:
    if token in held_tokens(request):
        photos.release(settings.attachments_dir, token)
        forget_tokens(request, [token])
    return Response(status_code=204)
