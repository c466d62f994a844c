"""The one module that builds something at import: ``celery -A workers.app worker``."""

from workers.celery_app import create_celery

app = create_celery()
