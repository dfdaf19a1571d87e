"""Page stages: an article page → clean text, metadata, and what the page reveals about duplicates."""
