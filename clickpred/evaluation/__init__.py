"""How well it learnt: cross-validation, metrics, bootstrap intervals, the leakage scan."""
