"""The local edge: a CloudFront stand-in that serves a folder only to signed requests.

:class:`EdgeApp` is a plain ASGI app that answers as the distribution of
``examples/infrastructure/cloudfront-private-media.yaml`` answers:

- a method outside the behaviour's allowed methods (``allowed_methods``, ``GET`` and ``HEAD``
  by default, as in the template): ``403`` with CloudFront's own HTML error page
  (``Content-Type: text/html``, "The request could not be satisfied"), before any signature
  check. CloudFront lets a behaviour allow ``GET, HEAD``, ``GET, HEAD, OPTIONS`` or all seven
  methods, and answers anything else this way:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html
- otherwise the request is judged by :func:`cfcookies.verify.verify_request`, exactly as
  CloudFront would judge it, before anything else. Refused: ``403`` with CloudFront's XML body,
  ``Content-Type: text/xml`` and ``x-cache: Error from cloudfront``;
- allowed: the file under ``root``, for ``GET`` and ``HEAD``, with single ``Range`` requests
  (``206``/``416``), media content types (``.m3u8``, ``.ts``, ``.mp4``, ``.m4s``, ``.vtt`` ...),
  ``ETag`` and ``Last-Modified``;
- allowed, but no such file: what S3 answers CloudFront, relayed (``Content-Type:
  application/xml``, ``Server: AmazonS3``, ``x-cache: Error from cloudfront``). With
  ``missing_object="AccessDenied"`` (the default) that is ``403`` with S3's ``AccessDenied``
  body: the template's bucket policy grants the origin access control ``s3:GetObject`` only,
  and S3 does not tell a caller without ``s3:ListBucket`` that a key is missing. With
  ``missing_object="NoSuchKey"`` it is ``404 NoSuchKey``, which a real distribution only
  answers when the bucket policy also grants the CloudFront service principal
  ``s3:ListBucket`` on the bucket ARN (see docs/deploy.md). Either way the
  ``x-cfcookies-decision`` header says ``missing_object``. S3's rule:
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions).

Like S3 behind CloudFront, an invalid ``Range`` (another unit, several ranges, junk) is ignored
and the whole file sent; one that starts past the end is ``416`` with ``Content-Range:
bytes */<size>`` (see :func:`parse_range`). S3 has no symlinks, and the edge follows none: a
symlinked file, or a path through a symlinked folder, is answered as a missing object, wherever
the link points (another folder, the same folder, or out of ``root``).

Every response carries ``x-cfcookies-decision: <reason>`` (``allowed``, ``expired``,
``resource_mismatch``, ``missing_object``, ``method_not_allowed`` ...) to help debugging.
Credentialed CORS is answered for the configured app origins only: the exact ``Origin`` is
echoed with ``Access-Control-Allow-Credentials: true`` and ``Vary: Origin``; ``*`` is never
sent, and other origins get no CORS headers.

``OPTIONS`` follows ``allowed_methods``. Not allowed (the default, and the template): every
``OPTIONS``, a CORS preflight included, gets the HTML ``403`` above. Allowed
(``allowed_methods=("GET", "HEAD", "OPTIONS")``): an ``OPTIONS`` request is checked like any
other request of a behaviour with trusted key groups, and a browser's preflight never carries
cookies, so on a protected path it is refused (``403 MissingKey``); a signed ``OPTIONS`` (a
signed URL), or one under ``unprotected_paths``, is answered as a preflight with the CORS
headers of the template's response headers policy. CloudFront documents no exemption from the
signer check for ``OPTIONS``:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html
So credentialed media requests must stay simple (``GET``, no custom headers) to work at all.

In tests, drive it in-process::

    edge = EdgeApp(tmp_path, public_keys={"K2JCJMDEHXQW5F": public_key},
                   public_url="https://media.example.test")
    with starlette.testclient.TestClient(edge) as client:            # or
        client.get("/videos/course-1/seg.ts", cookies=signed_cookies)
    httpx.AsyncClient(transport=httpx.ASGITransport(edge, client=("192.0.2.10", 5000)),
                      base_url="https://media.example.test")

or over loopback with :class:`EdgeServer` (a uvicorn server in a thread), or from the shell with
``cfcookies edge --root DIR --public-key ID=PATH`` (:func:`run_edge`). uvicorn is imported only
when a server is started.

A revocation check (a deny-list, as a CloudFront Function would consult) plugs in through
``deny_list=``: any object with ``check(request: EdgeRequest) -> str | None`` (the
:class:`EdgeCheck` protocol). It runs only after the signature check passed; returning a reason
string, or raising a :class:`~cfcookies.exceptions.VerificationError`, refuses the request with
``403 AccessDenied``.

The package, one job per module:

- :mod:`~cfcookies.edge.app`: :class:`EdgeApp`, a request's steps (method, file lookup,
  signature, answer) and its configuration;
- :mod:`~cfcookies.edge.answers`: what CloudFront and S3 answer (error bodies, content types,
  ``Range``, a file with ``ETag``/``206``/``304``/``416``);
- :mod:`~cfcookies.edge.files`: safe names under ``root`` and opening a regular file without
  following symlinks;
- :mod:`~cfcookies.edge.server`: the one uvicorn runner (:class:`~cfcookies.edge.server.
  UvicornThread`, also used by the tests and the benchmarks), :class:`EdgeServer` and
  :func:`run_edge`.
"""

from __future__ import annotations

from .answers import CONTENT_TYPES, MissingObject, content_type_for, parse_range
from .app import ALLOWED_METHOD_SETS, EdgeApp, EdgeCheck, EdgeRequest
from .server import EdgeServer, run_edge

__all__ = [
    "ALLOWED_METHOD_SETS",
    "CONTENT_TYPES",
    "EdgeApp",
    "EdgeCheck",
    "EdgeRequest",
    "EdgeServer",
    "MissingObject",
    "content_type_for",
    "parse_range",
    "run_edge",
]
