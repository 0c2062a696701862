#!/usr/bin/env python
"""Django: log in, get CloudFront cookies for your folders; log out, lose them.

Run it (from the repository root, with cfcookies and django installed)::

    python examples/django_project/manage.py runserver 127.0.0.1:8000
    # then browse http://localhost:8000

Users: alice / alice-password (reads /videos/course-1/), bob / bob-password (reads
/videos/course-2/ and /videos/course-3/). No database is needed: sessions live in a signed
cookie. See settings.py for the configuration and its environment variables.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # examples/ on the path, so that the project imports as the package ``django_project``.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
