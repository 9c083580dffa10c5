"""The test orchestrator: DCC and Supplier simulator, scenarios, reports, CLI."""
