"""The TUI's screens: home (runs and studies), run, study, and modal detail, diff and help screens."""
