"""Test support: frame catalogues and other fixtures shared across the suite (test-only keys)."""
