"""An upload as POST /api/uploads answers it."""

from __future__ import annotations

from typing import Any

from domain.uploads import Upload


def upload_payload(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "url": upload.url,
        "thumbnailUrl": upload.thumbnail_url,
        "contentType": upload.content_type,
        "size": upload.size,
        "width": upload.width,
        "height": upload.height,
    }
