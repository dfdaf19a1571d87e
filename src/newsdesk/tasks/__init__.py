"""Use cases that run jobs: update passes, batch extraction, the in-process scheduler."""
