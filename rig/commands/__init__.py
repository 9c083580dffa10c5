"""The CLI's subcommand groups, one module each, thin over the library."""
