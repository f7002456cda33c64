"""The model as one scikit-learn estimator: :class:`ClickClassifier`, the fitting core it calls (read → cross-fit →
correct → decide → refit), the classifier choice, and how many workers a fit uses. The jobs fit it; the API
re-exports it."""
