"""Models of marketplace.moderation."""
