"""The REST API: FastAPI app, routers and error mapping. Never imports pipeline."""
