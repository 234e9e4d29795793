# One image, three commands (see docker-compose.yml). The embedded database extra is
# not installed: in a real deployment MONGODB_URI points at MongoDB.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY legacy ./legacy
COPY modern ./modern
COPY proxy ./proxy
COPY strangler ./strangler
RUN pip install --no-cache-dir .

COPY routes.yaml ./

RUN useradd --create-home strangler
USER strangler

EXPOSE 8000 8001 8002
CMD ["strangler", "serve", "proxy", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
