"""The API docs page: Swagger UI served from the package's own assets (no CDN).

Imported only when the docs page or one of its assets is first requested.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from racetrack_job_runtime.settings import Settings

SWAGGER_UI_VERSION = "5.35.0"
ASSETS_DIR = Path(__file__).parent / "assets"
ASSETS: dict[str, bytes] = {
    "swagger-ui.css": b"text/css; charset=utf-8",
    "swagger-ui-bundle.js": b"text/javascript; charset=utf-8",
    "favicon-32x32.png": b"image/png",
}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: {openapi_url},
      dom_id: "#swagger-ui",
      deepLinking: true,
      displayRequestDuration: true,
      persistAuthorization: true,
      layout: "BaseLayout"
    }});
  </script>
</body>
</html>
"""


def docs_html(settings: Settings, prefix: str) -> bytes:
    """The Swagger UI page; links are absolute below the prefix the request came through."""
    title = html.escape(f"Job - {settings.job_name}")
    assets = html.escape(f"{prefix}/docs/assets", quote=True)
    openapi_url = json.dumps(f"{prefix}/openapi.json").replace("</", "<\\/")
    return _PAGE.format(title=title, assets=assets, openapi_url=openapi_url).encode("utf-8")


def asset(name: str) -> tuple[Path, bytes] | None:
    """``(file, content type)`` of a Swagger UI asset, or ``None`` for unknown names."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    return ASSETS_DIR / name, content_type
