"""Benchmarks of Ra Quân: the Curtois–Qu shift-scheduling suite (:mod:`benchmarks.curtois`) as a package, and
plain scripts run as ``python benchmarks/<name>.py`` (``hanoi_solve.py``, ``attacks.py``, ...)."""
