# motcua: one image for every role (deploy/start web | worker | scheduler | migrate | manage …).
#   docker build --build-arg VERSION="$(git describe --always --dirty)" -t motcua .
# See docs/deployment.md, "Containers".
FROM python:3.13-slim-bookworm

ARG VERSION=unknown
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=motcua.settings \
    PYTHONPATH=/app/src \
    MOTCUA_VAR_DIR=/app/var

# What the application needs from Debian (the same packages .ci/run installs for the same
# purpose): Liberation Serif 2 for the PDF forms (Times-compatible, Vietnamese marks); Pango and
# HarfBuzz's subsetter for WeasyPrint 70 (Pango >= 1.44); gettext to compile the translations;
# the PostgreSQL 15 client tools for scripts/backup and scripts/restore (pg_dump, pg_restore).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      fonts-liberation2 \
      libpango-1.0-0 \
      libpangoft2-1.0-0 \
      libharfbuzz-subset0 \
      gettext \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 motcua \
 && useradd --system --uid 10001 --gid motcua --home-dir /app --shell /usr/sbin/nologin motcua

WORKDIR /app
# The dependencies first, from pyproject.toml's pinned list: this layer is rebuilt only when
# they change, not at every change of the code.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > requirements.txt \
 && pip install -r requirements.txt

COPY src ./src
COPY scripts ./scripts
COPY deploy ./deploy
# Translations compiled and static files collected into the image (served by granian), so a
# node needs nothing but its environment. The app may write only under /app/var (not static/).
RUN echo "$VERSION" > VERSION \
 && python src/manage.py compilemessages -v0 \
 && python src/manage.py collectstatic --noinput -v0 \
 && mkdir -p /app/var/media \
 && chown motcua:motcua /app/var /app/var/media

USER motcua
EXPOSE 8000
# Liveness only (the process answers); readiness (/readyz: database, cache, storage,
# migrations) is for the load balancer and the orchestrator, which decide to send traffic.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["/app/deploy/start"]
CMD ["web"]
