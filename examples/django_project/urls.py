"""URLs of the example project."""

from __future__ import annotations

from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from . import views

urlpatterns = [
    path("", require_GET(views.home)),
    path("login", require_POST(views.login)),
    path("logout", require_POST(views.logout)),
]
