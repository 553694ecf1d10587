"""/docs (Swagger UI) and /redoc served from assets installed with the package, so they work
on an air-gapped network: no CDN, no Google Fonts, no Swagger validator badge.

The assets come from the `fastapi-standalone-docs` wheel (swagger-ui: Apache-2.0, redoc: MIT;
their licence files ship next to them in that wheel); only its static files are used.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS_PATH = "/docs-assets"


def docs_assets_directory() -> Path:
    """The installed swagger/ and redoc/ asset folders' parent."""
    return Path(str(files("fastapi_standalone_docs") / "static"))


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc from local assets; the app must be built with docs_url=None and
    redoc_url=None."""
    app.mount(
        DOCS_ASSETS_PATH,
        StaticFiles(directory=docs_assets_directory()),
        name="docs-assets",
    )
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{DOCS_ASSETS_PATH}/fastapi/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger/swagger-ui.css",
            swagger_favicon_url=favicon,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            redoc_js_url=f"{DOCS_ASSETS_PATH}/redoc/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
