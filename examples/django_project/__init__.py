"""A minimal Django project issuing CloudFront cookies: see manage.py for how to run it."""
