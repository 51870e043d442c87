"""The outreach app's pages: campaigns, email settings, and the unsubscribe page."""
