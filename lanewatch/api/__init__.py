"""HTTP API (FastAPI): one router per resource, request/response models apart from tables."""
