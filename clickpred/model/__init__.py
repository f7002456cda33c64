"""The trained model as one object: its file (save, load, validate) and the compiled linear scorer."""
