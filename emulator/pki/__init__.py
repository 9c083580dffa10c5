"""Test certificate authorities: ZSE implicit certificates and SMKI-style X.509 (test-only keys)."""
