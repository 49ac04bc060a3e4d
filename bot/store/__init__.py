"""Persistence: SQLAlchemy tables and the repositories behind the core ports."""
