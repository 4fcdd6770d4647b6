"""defectradar: find emerging product defects in consumer complaints and repair records.

The library is the product; the ``defectradar`` command, the API and the dashboard are thin
shells over it.  Start with :func:`defectradar.ingest.pipeline.ingest_file` and
:class:`defectradar.store.connect.Store`.
"""

__version__ = "0.1.0"
