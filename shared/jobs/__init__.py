"""A job's life: the vocabulary of what a job may ask, its lifecycle in the database, the broker, queues,
worker presence and the reaper. Used by the API and the workers alike; imports no ML library."""
