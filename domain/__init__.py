"""The pure core of safehub: aggregates, events and policies.

Nothing here imports Flask, Celery, Redis or a database driver, so the rules can be
tested in microseconds and replayed over years of history.
"""
