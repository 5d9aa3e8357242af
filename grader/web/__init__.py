"""The web submission service (FastAPI): accounts by token, a durable queue, the student page."""
