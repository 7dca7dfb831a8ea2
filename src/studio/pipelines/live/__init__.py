"""Live pipelines (Qt-free). ``JOBS`` maps job kinds to runners for the service."""

JOBS: dict = {}
