"""Read-side use cases: the front page, related reading and topics, computed from what is stored."""
