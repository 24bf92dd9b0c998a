"""Image uploads: POST /api/uploads (multipart, one part `file`) and the capability URLs that
serve what was stored.

The body is read as a stream, part by part and chunk by chunk, and refused (413) as soon as it
holds more than `[uploads] max_bytes` of file (or its Content-Length already says so): an
oversized upload is never read whole. aiohttp's client_max_size only bounds request.read() and
request.post(), which this route does not call.
"""

from __future__ import annotations

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from api.responses import UploadOut
from api.routing import Routes, current_user, ok
from api.schemas import Success
from domain.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from wire.uploads import upload_payload
from wiring.keys import UPLOADS

routes = Routes("uploads", errors=(409, 413, 415, 422), verified_email=True)

FILE_PART = "file"
CHUNK_BYTES = 64 * 1024
ENVELOPE_BYTES = 64 * 1024  # multipart boundaries, part headers and small extra fields
# Files are immutable (a new upload gets new keys), so clients may cache them for good; but
# only in the user's own cache ("private"): the URL is a capability, not a public asset.
FILE_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
}


class UploadAnswer(Success):
    upload: UploadOut


# The OpenAPI requestBody: the route reads its multipart body itself (no JSON model).
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FILE_PART],
                "properties": {
                    FILE_PART: {
                        "type": "string",
                        "format": "binary",
                        "description": "The image: PNG, JPEG, GIF or WebP (recognised by its "
                        "bytes), at most [uploads] max_bytes",
                    }
                },
            },
            "encoding": {
                FILE_PART: {"contentType": "image/png, image/jpeg, image/gif, image/webp"}
            },
        }
    },
}


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"An upload is at most {limit} bytes", {"file": f"more than {limit} bytes"}
    )


@routes.post(
    "/api/uploads",
    response=UploadAnswer,
    status=201,
    request_body=UPLOAD_BODY,
    summary="Upload an image (multipart/form-data, one part `file`: PNG, JPEG, GIF or WebP)",
)
async def create_upload(request: web.Request) -> web.Response:
    service = request.app[UPLOADS]
    limit = service.limits.max_bytes
    if (request.content_length or 0) > limit + ENVELOPE_BYTES:  # refused before any body byte
        raise _too_large(limit)
    user = current_user(request)
    await service.check_room(user.id)
    data = await read_file_part(request, limit)
    upload = await service.create(user.id, data)
    return ok(201, upload=upload_payload(upload))


async def read_file_part(request: web.Request, limit: int) -> bytes:
    """The bytes of the one `file` part, at most `limit` of them; other parts are skipped but
    counted, so the whole body stays within `limit` plus a small envelope."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMedia(
            "Send the image as multipart/form-data with one part named file",
            {"body": "must be multipart/form-data"},
        )
    try:
        reader = await request.multipart()
        return await _file_from(reader, limit)
    # malformed multipart: aiohttp raises these, and HttpProcessingError for a bad part header
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError) as error:
        raise InvalidInput(
            "The multipart body is malformed", {"body": str(error)[:200] or "malformed"}
        ) from None


async def _file_from(reader: MultipartReader, limit: int) -> bytes:
    found: bytes | None = None
    other_bytes = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):  # a nested multipart
            raise InvalidInput("Nested multipart bodies are not accepted", {"body": "nested"})
        if part.name == FILE_PART:
            if found is not None:
                raise InvalidInput("Send one file per upload", {"file": "given more than once"})
            found = await _read_bounded(part, limit, _too_large(limit))
        else:
            skipped = await _read_bounded(part, ENVELOPE_BYTES - other_bytes, _too_large(limit))
            other_bytes += len(skipped)
    if found is None:
        raise InvalidInput("The upload has no file", {"file": "a part named file is required"})
    return found


async def _read_bounded(part: BodyPartReader, limit: int, error: Exception) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise error
        chunks.append(chunk)
    return b"".join(chunks)


@routes.get(
    "/uploads/{key}",
    auth=False,
    media_type="image/*",
    errors=(404,),
    summary="An uploaded image or thumbnail (the unguessable URL is the permission)",
)
async def serve_file(request: web.Request) -> web.StreamResponse:
    stored = await request.app[UPLOADS].open(request.match_info["key"])
    return web.FileResponse(
        stored.path, headers={**FILE_HEADERS, "Content-Type": stored.content_type}
    )
