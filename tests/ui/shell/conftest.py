"""The ``window`` fixture (see harness.py)."""

from tests.ui.shell.harness import window  # noqa: F401 - a fixture, found by pytest here
