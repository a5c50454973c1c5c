# The Celery app must be imported here so that shared_task binds to it (and gains delay_on_commit).
from .celery import app as celery_app

__all__ = ("celery_app",)
