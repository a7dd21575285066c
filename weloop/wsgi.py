"""WSGI entry point served by granian (``weloop serve``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
application = get_wsgi_application()
