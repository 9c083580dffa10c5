"""Outputs of a scenario run: each module turns a ``RunRecord`` into one file."""
