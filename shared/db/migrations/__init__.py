"""Alembic migrations (run by shared.db.engine.migrate) and what several of them share."""
