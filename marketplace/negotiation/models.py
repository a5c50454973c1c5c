"""Models of marketplace.negotiation."""
