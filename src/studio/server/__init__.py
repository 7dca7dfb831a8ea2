"""`studio serve`: the FastAPI gateway (job API, server-sent events, metrics, the lipsync- and
real-time-compatible endpoints, the /live page). Qt-free."""
