"""Network adapter: polite, bounded, SSRF-safe HTTP fetching of feeds, pages and robots.txt."""
