"""Code shared by the API and the workers. Importing this package loads no ML library."""
