"""The public Python API: :class:`ClickClassifier` and the functions a notebook calls (re-exported by ``clickpred``)."""
