"""Fewer bytes on the wire: compressed text, and "not modified" answers to revalidations.

Pages, stylesheets, scripts, SVG and JSON leave compressed (brotli, else gzip) when the
browser accepts it, with `Vary: Accept-Encoding`; images, PDFs and archives, already
compressed, leave as they are. Behind the documented proxy the proxy may compress instead:
a response that already has a Content-Encoding is never compressed twice.

Every successful GET of such a type carries an ETag and answers a matching If-None-Match
with 304 and no body: static files and public documents by their own strong ETag, pages by
a weak ETag over their uncompressed body (the same page compressed either way is the same
page). Cache-Control is untouched: what is private and no-store stays so. Streamed answers
(downloads, exports) are sent as they are; the site's own static files are small and are
read whole so that they are compressed.
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

#: Text-like types worth compressing; everything else is already compressed or tiny.
COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "text/xml",
    "application/javascript", "application/json", "application/ld+json",
    "application/xml", "application/xhtml+xml", "image/svg+xml",
]

compress = Compress()


def init_compression(app: Flask) -> None:
    """Compress text answers and answer revalidations (see the module's docstring)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Streamed answers (downloads, exports) leave as they are: compressing a stream would
    # tie it to the request context until the client has read it all.
    app.config.setdefault("COMPRESS_STREAMS", False)
    # Measured on a 14 KB lesson page: brotli 3 takes 0.14 ms for 4.9 KB, gzip 4 0.16 ms
    # for 4.8 KB; higher levels cost more CPU than the bytes they save are worth here.
    app.config.setdefault("COMPRESS_BR_LEVEL", 3)
    app.config.setdefault("COMPRESS_BR_WINDOW", 18)
    app.config.setdefault("COMPRESS_LEVEL", 4)
    compress.init_app(app)
    types = frozenset(app.config["COMPRESS_MIMETYPES"])

    # Registered after Flask-Compress, so it runs before it (after_request runs in reverse):
    # the ETag is computed over the uncompressed body.
    @app.after_request
    def _revalidate(response):
        if (request.endpoint == "static" and response.status_code == 200
                and response.is_streamed and response.mimetype in types):
            # A stylesheet or script of a few KB: read whole, so it is compressed whole.
            response.direct_passthrough = False
            response.make_sequence()
        if (request.method in ("GET", "HEAD") and response.status_code == 200
                and not response.is_streamed and response.mimetype in types):
            if response.get_etag() == (None, None):
                response.add_etag(weak=True)
            environ = request.environ
            if ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ
                    or "HTTP_RANGE" in environ):
                response.make_conditional(request)  # otherwise there is nothing to answer
        return response
