"""Framework adapters: :mod:`cfcookies.contrib.flask` and :mod:`cfcookies.contrib.django`.

Starlette and FastAPI use :class:`cfcookies.asgi.CloudFrontCookieMiddleware` directly; FastAPI
routes may grant and revoke through the dependency in :mod:`cfcookies.contrib.fastapi`.
"""
