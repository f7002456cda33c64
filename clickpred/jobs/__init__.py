"""The jobs the CLI runs: train (in memory and streaming), compare, score (local and Dask), evaluate, simulate."""
