"""`ada app`: a local web app over the same functions the CLI calls (ada.app.server builds it)."""
