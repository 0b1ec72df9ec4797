"""The numeric ranges a job's settings must fall in: one definition for the API and the command-line tools."""

RANGES = {
    "batch_size": (1, 4096),
    "streams": (1, 256),
    "input_size": (32, 1024),
    "duration_s": (1, 600),
}
