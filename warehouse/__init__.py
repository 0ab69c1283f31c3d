"""Storage stage: the DuckDB schema (the public contract), loading one document per
transaction, read-only queries and the views researchers use."""
