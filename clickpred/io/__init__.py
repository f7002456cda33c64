"""Reading and writing: sources, schemas, value casting, streaming samples, safe outputs."""
