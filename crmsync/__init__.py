"""crmsync: a CRM connector hub that keeps a marketing database and CRMs in sync."""

from .celery import app as celery_app

__all__ = ("celery_app",)
