"""Who may do what: API tokens (stored hashed) and their roles. Used by the API and the `speedboard token` command."""
