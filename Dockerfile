# ion serve for Cloud Run: a wheel built in one stage, installed in a slim runtime stage.
#   docker build -t ion-serve .
#   docker run --rm -p 8080:8080 -e PORT=8080 ion-serve
# Cloud Run sets $PORT; ion then listens on every interface. SIGTERM drains in-flight requests.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ion.example.toml ./
COPY ioncli ioncli
COPY templates templates
COPY baselines baselines
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080
RUN useradd --system --uid 10001 --create-home --home-dir /srv/ion ion
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER ion
# The metric history (.ion/history.sqlite3) lives here; on Cloud Run it is in-memory and goes
# with the instance, which is fine: Cloud Monitoring keeps the fleet's history.
WORKDIR /srv/ion
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["ion", "serve"]
