"""Schema revisions of the service's tables, oldest first."""
