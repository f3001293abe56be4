"""The SQLite store passes the storage conformance suite."""

from .conformance import *  # noqa: F403 - the suite's tests and its `backend` fixture
