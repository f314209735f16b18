"""Demo data: a seeded synthetic customer base (customers, events, consents) for the demo plan."""

from animato.demo.generator import DemoDataError, DemoSummary, generate

__all__ = ["DemoDataError", "DemoSummary", "generate"]
