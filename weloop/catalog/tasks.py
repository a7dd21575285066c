"""Queue entry points for the catalog: thin wrappers around services."""

from huey.contrib.djhuey import db_task

from weloop.catalog import imports


@db_task()
def catalog_import_task(job_pk: int) -> str:
    """Run one queued CSV import (catalog.imports.catalog_import_run); returns its final status."""
    return imports.catalog_import_run(job_pk=job_pk).status
