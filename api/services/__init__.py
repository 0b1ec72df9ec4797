"""What the routes call: plain functions over a session that read, resolve and write; each route is a thin wrapper."""
