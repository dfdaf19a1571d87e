"""Subscriptions: finding a site's feed, OPML import and export, and the bundled feed catalog."""
