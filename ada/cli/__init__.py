"""The `ada` command line: `main` dispatches to one module per command group (ada/cli/*.py)."""

from ada.cli.main import main, user_errors

__all__ = ["main", "user_errors"]
