import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
# Short statement and lock timeouts for requests (settings: HUB_PROCESS).
os.environ.setdefault("HUB_PROCESS", "web")

application = get_wsgi_application()
