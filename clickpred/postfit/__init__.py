"""After the classifier: the probability correction, decision rules, cross-fitting them, the predictor."""
