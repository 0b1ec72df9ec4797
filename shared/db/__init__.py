"""The database: engine and sessions, the tables, and the migrations. Imports no other wing (settings only)."""
