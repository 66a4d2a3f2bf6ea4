"""The ``hub`` command, an edge: `main` parses and dispatches; ``serve`` runs the app under
uvicorn (`server`); the admin commands talk to a running hub's API over HTTP (`admin`,
`operations`, `objects`); `integrations` writes the low-code connectors; `listener` is the
demo receiver of ``hub listen``."""
