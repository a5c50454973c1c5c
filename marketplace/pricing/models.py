"""Models of marketplace.pricing."""
