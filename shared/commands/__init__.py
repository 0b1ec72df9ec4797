"""Entry points: the `speedboard` command and the supervisor behind `make run` and `make worker`."""
