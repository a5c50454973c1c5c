"""Models of marketplace.payments."""
