"""The HTTP API. Imports no ML library: model names are checked against the registry snapshot."""
