"""Celery workers: they call services and hold no business rules."""
