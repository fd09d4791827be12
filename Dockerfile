# The production image: gunicorn serves the web app, the same image runs the
# Celery worker. Static files are collected at build time and served by
# WhiteNoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub hub
COPY vendors vendors
COPY billing billing
COPY magiclinks magiclinks
RUN pip install .
COPY manage.py gunicorn.conf.py ./
COPY templates templates
COPY static static
COPY locale locale
# collectstatic needs settings that production provides at run time.
RUN DEBUG=1 python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 hub && mkdir -p /app/var && chown hub /app/var
USER hub
EXPOSE 8000
CMD ["gunicorn", "hub.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--forwarded-allow-ips", "*"]
