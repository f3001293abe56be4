"""Read-only access to the run store for the TUI: queries (reader.py) and plain-text formatting (fmt.py).

Nothing here imports textual: workers call these functions off the UI thread.
"""
