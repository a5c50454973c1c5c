"""Models of marketplace.auctions."""
