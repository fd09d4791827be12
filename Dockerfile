# The production image: gunicorn serves the web app, the same image runs the
# Celery worker. Static files are collected at build time and served by
# WhiteNoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core fonts-noto-cjk curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub hub
COPY vendors vendors
COPY billing billing
COPY magiclinks magiclinks
COPY rights rights
RUN pip install .
COPY manage.py ./
COPY templates templates
COPY static static
COPY locale locale
# The catalogs' .mo files are built here, with babel (no gettext needed).
RUN python -m hub.catalogs compile /app/locale
# collectstatic must run with DEBUG off: only then is the storage the
# manifest one, and without its staticfiles.json every page would be a 500.
# The values below only let the settings load for this step; production
# provides its own at run time.
RUN DEBUG=0 SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost SITE_URL=http://localhost \
    EMAIL_URL=smtp://localhost:25 FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ALLOW_EAGER_TASKS=1 ALLOW_LOCMEM_RATE_LIMITS=1 \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 hub && mkdir -p /app/var && chown hub /app/var
USER hub
EXPOSE 8000
# The access log never shows a query string or an access token; forwarded
# headers are believed from TRUSTED_PROXIES only (hub/gunicorn_conf.py).
CMD ["gunicorn", "-c", "python:hub.gunicorn_conf", "hub.wsgi"]
