"""Feed stages: a fetched feed body → article drafts, the source's next check, and dedup decisions."""
