"""The store's schema history: Alembic migrations, applied in order and only forward."""
