"""Code shared by the API and the workers, in wings by audience (see ARCHITECTURE.md). Importing this package,
or any wing but `ml`, loads no ML library."""
