"""The REST API's documentation page (/api/docs): Swagger UI from static/vendor/swagger-ui (pinned, licence beside
it), so the page works without internet access and under a policy without inline scripts or other origins
(portal.security_headers.DOCS_POLICY). The schema is fetched from /api/docs/openapi.json by static/api-docs.js."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

SWAGGER_UI = "/static/vendor/swagger-ui"


class VendoredSwaggerUI(SwaggerRenderPlugin):
    def __init__(self, schema_url: str, **kwargs: Any) -> None:
        super().__init__(
            js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_UI}/swagger-ui.css",
            favicon="<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>",
            **kwargs,
        )
        self.schema_url = schema_url

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
  <link rel="stylesheet" href="{self.css_url}">
</head>
<body>
  <div id="swagger-container" data-schema-url="{escape(self.schema_url)}"></div>
  <script src="{self.js_url}"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
""".encode()
