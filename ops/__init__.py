"""Built-in ops. Each registers through the `pipec.ops` entry-point group in pyproject.toml, exactly as a
third-party op package would."""
