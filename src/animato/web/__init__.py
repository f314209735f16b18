"""``animato serve``: one process with the tracking endpoints, the ingestion API, health, and
the scheduler (ticks and delivery).

- :mod:`service`: the parts and their store connections; :mod:`app`: the FastAPI app;
- :mod:`tracking`: pixel, clicks, online view, unsubscribe; :mod:`api`: ingestion, feedback;
- :mod:`ingestion`: posted batches through file ingestion's checks, several at a time;
- :mod:`scheduler`: ticks every N minutes, delivery in between; :mod:`server`: uvicorn.

The OpenAPI description is at ``/openapi.json`` (and browsable at ``/docs``).
"""
