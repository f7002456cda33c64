"""Reports and terminal tables for train, evaluate, score and compare."""
