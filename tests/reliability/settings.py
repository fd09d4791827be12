"""The fault lab's settings: the production settings (DEBUG off, every value
from the environment the lab sets), with static files served from the
source folders so the lab needs no collectstatic."""

from hub.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
