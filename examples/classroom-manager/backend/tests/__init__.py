"""Unit tests of the backend that need no database: run ``python3 -m unittest`` in backend/."""
