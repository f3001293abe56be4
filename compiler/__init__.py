"""pipec's compiler: YAML graph -> validated, typed DAG -> memoized concurrent execution.

Kept import-light: `pipe --help` must not pay for pydantic, networkx or litellm."""
