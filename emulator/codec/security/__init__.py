"""HAN security: AES-CCM*, key derivation, install codes, CBKE."""
