"""What a listener hears, measured and shown: the listening measures and the HTML pages."""
