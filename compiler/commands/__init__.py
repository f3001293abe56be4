"""One module per `pipe` subcommand: `add_arguments(parser)` and `run(args) -> exit code`."""
