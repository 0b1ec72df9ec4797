"""Alembic migrations (run by shared.db.migrate) and what several of them share."""
